package dev.berth.registry.security;

import dev.berth.oci.ErrorCode;
import dev.berth.registry.http.RegistryErrorHandler;
import dev.berth.registry.http.RegistryException;
import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.support.LogLine;
import java.net.URI;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.WebFilterExchange;
import org.springframework.security.web.server.authentication.ServerAuthenticationFailureHandler;
import org.springframework.security.web.server.authorization.ServerAccessDeniedHandler;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Every refusal of the security chain: 401 with the challenge clients expect, 403, or 429. Bodies are written
 * by {@link RegistryErrorHandler}, so they are the spec's JSON errors like every other failure.
 *
 * <p>Challenges: {@code Basic realm="..."} in htpasswd mode; in token mode
 * {@code Bearer realm="...",service="...",scope="..."} naming what the request needs, plus
 * {@code error="invalid_token"} for a token that did not verify and {@code error="insufficient_scope"} for one
 * that does not grant enough (the client then fetches a new token for the advertised scope).
 */
final class ChallengeResponder
        implements ServerAuthenticationEntryPoint, ServerAccessDeniedHandler, ServerAuthenticationFailureHandler {
    private static final Logger audit = LoggerFactory.getLogger("berth.audit");

    private final AuthProperties properties;
    private final FailureThrottle throttle;
    private final RegistryErrorHandler errors;

    ChallengeResponder(AuthProperties properties, FailureThrottle throttle, RegistryErrorHandler errors) {
        this.properties = properties;
        this.throttle = throttle;
        this.errors = errors;
    }

    /** No (usable) credentials. */
    @Override
    public Mono<Void> commence(ServerWebExchange exchange, AuthenticationException ex) {
        return write(exchange, unauthorized(exchange, null, "authentication required"));
    }

    /** Authenticated, but not allowed. */
    @Override
    public Mono<Void> handle(ServerWebExchange exchange, AccessDeniedException denied) {
        if (properties.getMode() == AuthProperties.AuthMode.TOKEN) {
            return write(
                    exchange,
                    unauthorized(exchange, "insufficient_scope", "the token does not grant the requested access"));
        }
        return write(exchange, new RegistryException(ErrorCode.DENIED, null, requiredText(exchange)));
    }

    /** Credentials were presented and rejected. */
    @Override
    public Mono<Void> onAuthenticationFailure(WebFilterExchange filterExchange, AuthenticationException ex) {
        ServerWebExchange exchange = filterExchange.getExchange();
        String address = ClientAddress.of(exchange);
        if (ex instanceof AuthFailures.Throttled throttled) {
            return write(exchange, tooManyRequests(throttled));
        }
        if (ex instanceof AuthFailures.BadToken) {
            return write(exchange, unauthorized(exchange, "invalid_token", ex.getMessage()));
        }
        throttle.failure(address);
        audit.info(new LogLine()
                .add("event", "auth-failure")
                .add("method", exchange.getRequest().getMethod().name())
                .add("path", exchange.getRequest().getPath().value())
                .add("remote", address)
                .add("reason", ex.getMessage())
                .toString());
        return write(exchange, unauthorized(exchange, null, "invalid credentials"));
    }

    /** The 429 for a throttled address. */
    static RegistryException tooManyRequests(AuthFailures.Throttled throttled) {
        long seconds = Math.max(1, throttled.retryAfter().toSeconds());
        return new RegistryException(ErrorCode.TOOMANYREQUESTS, "too many failed authentication attempts", null)
                .withHeader("Retry-After", Long.toString(seconds));
    }

    private RegistryException unauthorized(ServerWebExchange exchange, String error, String message) {
        return new RegistryException(ErrorCode.UNAUTHORIZED, message, requiredText(exchange))
                .withHeader("WWW-Authenticate", challenge(exchange, error));
    }

    String challenge(ServerWebExchange exchange, String error) {
        if (properties.getMode() != AuthProperties.AuthMode.TOKEN) {
            return basicChallenge(properties.getRealm());
        }
        StringBuilder header = new StringBuilder("Bearer realm=\"")
                .append(quote(realm(exchange).toString()))
                .append("\",service=\"")
                .append(quote(properties.getToken().getService()))
                .append('"');
        List<ResourceScope> scopes = advertised(exchange);
        if (!scopes.isEmpty()) {
            header.append(",scope=\"")
                    .append(scopes.stream().map(ResourceScope::toString).collect(Collectors.joining(" ")))
                    .append('"');
        }
        if (error != null) {
            header.append(",error=\"").append(error).append('"');
        }
        return header.toString();
    }

    static String basicChallenge(String realm) {
        return "Basic realm=\"" + quote(realm) + "\"";
    }

    /**
     * The configured realm, or this server's own token endpoint as the client reached it. Operators behind a
     * proxy set the realm explicitly: the derived one trusts the Host header.
     */
    private URI realm(ServerWebExchange exchange) {
        AuthProperties.Token token = properties.getToken();
        if (token.getRealm() != null) {
            return token.getRealm();
        }
        URI uri = exchange.getRequest().getURI();
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority()
                + token.getIssuerEndpoint().getPath());
    }

    private static List<ResourceScope> required(ServerWebExchange exchange) {
        return scopes(exchange, false);
    }

    private static List<ResourceScope> advertised(ServerWebExchange exchange) {
        return scopes(exchange, true);
    }

    /** What the request needs ({@link RequiredAccess#of}), or what to advertise for it in a challenge. */
    private static List<ResourceScope> scopes(ServerWebExchange exchange, boolean forChallenge) {
        if (OperationsAuthorizationManager.isAdminPath(exchange)) {
            return List.of(ResourceScope.ADMIN);
        }
        try {
            RegistryRoute route = RegistryRoute.parse(
                    exchange.getRequest().getPath().pathWithinApplication().value());
            var method = exchange.getRequest().getMethod();
            var query = exchange.getRequest().getQueryParams();
            return forChallenge
                    ? RequiredAccess.forChallenge(method, route, query)
                    : RequiredAccess.of(method, route, query);
        } catch (RegistryException e) {
            return List.of();
        }
    }

    /** The spec's error detail for auth errors: the access that was needed. */
    private static List<java.util.Map<String, Object>> requiredText(ServerWebExchange exchange) {
        return required(exchange).stream()
                .map(s -> java.util.Map.<String, Object>of(
                        "Type", s.type(), "Name", s.name(), "Action", String.join(",", s.orderedActions())))
                .toList();
    }

    private Mono<Void> write(ServerWebExchange exchange, RegistryException error) {
        return errors.handle(exchange, error);
    }

    private static String quote(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
