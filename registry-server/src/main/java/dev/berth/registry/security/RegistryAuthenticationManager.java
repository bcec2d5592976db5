package dev.berth.registry.security;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.springframework.http.HttpHeaders;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.server.authentication.ServerAuthenticationConverter;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Reads credentials from the {@code Authorization} header (Basic in htpasswd mode, Bearer in token mode; any
 * other scheme counts as none) and checks them: bcrypt against the htpasswd file on a worker thread, tokens with
 * the {@link TokenVerifier}. A throttled address is refused before its credentials are even looked at.
 */
final class RegistryAuthenticationManager implements ReactiveAuthenticationManager, ServerAuthenticationConverter {
    private final AuthProperties.AuthMode mode;
    private final HtpasswdFile htpasswd;
    private final TokenVerifier verifier;
    private final FailureThrottle throttle;

    RegistryAuthenticationManager(
            AuthProperties.AuthMode mode, HtpasswdFile htpasswd, TokenVerifier verifier, FailureThrottle throttle) {
        this.mode = mode;
        this.htpasswd = htpasswd;
        this.verifier = verifier;
        this.throttle = throttle;
    }

    @Override
    public Mono<Authentication> convert(ServerWebExchange exchange) {
        String header = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
        if (header == null) {
            return Mono.empty();
        }
        if (mode == AuthProperties.AuthMode.HTPASSWD && startsWithIgnoreCase(header, "Basic ")) {
            var blocked = throttle.blocked(ClientAddress.of(exchange));
            if (blocked.isPresent()) {
                return Mono.error(new AuthFailures.Throttled(blocked.get()));
            }
            String[] userPassword = decodeBasic(header);
            if (userPassword == null) {
                return Mono.error(new AuthFailures.BadPassword("malformed Basic credentials"));
            }
            return Mono.just(UsernamePasswordAuthenticationToken.unauthenticated(userPassword[0], userPassword[1]));
        }
        if (mode == AuthProperties.AuthMode.TOKEN && startsWithIgnoreCase(header, "Bearer ")) {
            return Mono.just(
                    new BearerCredentials(header.substring("Bearer ".length()).trim()));
        }
        return Mono.empty();
    }

    @Override
    public Mono<Authentication> authenticate(Authentication authentication) {
        if (authentication instanceof UsernamePasswordAuthenticationToken basic && htpasswd != null) {
            String user = basic.getName();
            String password = String.valueOf(basic.getCredentials());
            return Mono.fromCallable(() -> htpasswd.authenticate(user, password))
                    .subscribeOn(Schedulers.boundedElastic())
                    .flatMap(ok -> ok
                            ? Mono.just((Authentication) RegistryAuthentication.basic(user))
                            : Mono.error(new AuthFailures.BadPassword("invalid user name or password")));
        }
        if (authentication instanceof BearerCredentials bearer && verifier != null) {
            Mono<Authentication> verified = Mono.fromCallable(() -> {
                try {
                    TokenVerifier.Verified token = verifier.verify(bearer.token());
                    return RegistryAuthentication.token(token.subject(), token.access());
                } catch (TokenVerifier.InvalidTokenException e) {
                    throw new AuthFailures.BadToken(e.getMessage());
                }
            });
            return verifier.mayBlock() ? verified.subscribeOn(Schedulers.boundedElastic()) : verified;
        }
        return Mono.error(new AuthFailures.BadPassword("unsupported credentials"));
    }

    /** User and password of a Basic header, or null when malformed. */
    static String[] decodeBasic(String header) {
        try {
            String decoded = new String(
                    Base64.getDecoder()
                            .decode(header.substring("Basic ".length()).trim()),
                    StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon <= 0 ? null : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static boolean startsWithIgnoreCase(String value, String prefix) {
        return value.regionMatches(true, 0, prefix, 0, prefix.length());
    }
}
