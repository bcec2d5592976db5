package dev.berth.registry.security;

import dev.berth.oci.ErrorCode;
import dev.berth.registry.http.RegistryException;
import dev.berth.registry.support.LogLine;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Berth's own token service, so that one process is a complete private registry. It speaks both dialects
 * clients use:
 * <ul>
 *   <li>GET with {@code service}, repeated {@code scope}, {@code offline_token=true} and optional Basic
 *       credentials (docker, skopeo, podman);</li>
 *   <li>POST of a form with {@code grant_type=password} ({@code username}, {@code password}) or
 *       {@code grant_type=refresh_token} ({@code refresh_token}), space-separated {@code scope},
 *       {@code access_type=offline} (containerd and OAuth2-style clients).</li>
 * </ul>
 * The token grants the intersection of what was asked for and what the {@link AccessPolicy} allows; asking for
 * more is not an error, the client just gets less. Without credentials the client is anonymous and gets what
 * rules with {@code anonymous=true} allow.
 */
final class TokenEndpoint {
    private static final Logger audit = LoggerFactory.getLogger("berth.audit");

    private final AuthProperties properties;
    private final TokenIssuer issuer;
    private final TokenVerifier verifier;
    private final HtpasswdFile htpasswd;
    private final AccessPolicy policy;
    private final FailureThrottle throttle;

    TokenEndpoint(
            AuthProperties properties,
            TokenIssuer issuer,
            TokenVerifier verifier,
            HtpasswdFile htpasswd,
            AccessPolicy policy,
            FailureThrottle throttle) {
        this.properties = properties;
        this.issuer = issuer;
        this.verifier = verifier;
        this.htpasswd = htpasswd;
        this.policy = policy;
        this.throttle = throttle;
    }

    /** GET: parameters from the query string; credentials only from the Basic header, never from the URL. */
    Mono<ServerResponse> get(ServerRequest request) {
        if (request.queryParams().containsKey("grant_type")) {
            return Mono.error(
                    new RegistryException(ErrorCode.UNSUPPORTED, "grant_type needs POST", null).withStatus(400));
        }
        return respond(request, request.queryParams());
    }

    /** POST: parameters from the form body (query parameters are not consulted). */
    Mono<ServerResponse> post(ServerRequest request) {
        return request.formData().flatMap(form -> respond(request, form));
    }

    private Mono<ServerResponse> respond(ServerRequest request, MultiValueMap<String, String> params) {
        String address = ClientAddress.of(request.exchange());
        String service = params.getFirst("service");
        if (service != null && !service.equals(properties.getToken().getService())) {
            return Mono.error(new RegistryException(ErrorCode.DENIED, "unknown service", service).withStatus(400));
        }
        List<ResourceScope> requested = new ArrayList<>();
        for (String scope : params.getOrDefault("scope", List.of())) {
            requested.addAll(ResourceScope.parseAll(scope));
        }
        String grantType = params.getFirst("grant_type");
        boolean offline = "true".equalsIgnoreCase(params.getFirst("offline_token"))
                || "offline".equalsIgnoreCase(params.getFirst("access_type"));
        return identify(request, params, grantType, address)
                .subscribeOn(Schedulers.boundedElastic())
                .flatMap(user -> {
                    String subject = user.orElse(null);
                    List<ResourceScope> granted = policy.grant(subject, requested);
                    TokenIssuer.IssuedToken token = issuer.accessToken(subject == null ? "" : subject, granted);
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("token", token.token());
                    body.put("access_token", token.token());
                    body.put("expires_in", token.expiresIn().toSeconds());
                    body.put("issued_at", DateTimeFormatter.ISO_INSTANT.format(token.issuedAt()));
                    if (!granted.isEmpty()) {
                        body.put(
                                "scope",
                                granted.stream().map(ResourceScope::toString).collect(Collectors.joining(" ")));
                    }
                    if (offline && subject != null && !"refresh_token".equals(grantType)) {
                        body.put("refresh_token", issuer.refreshToken(subject));
                    }
                    audit.info(new LogLine()
                            .add("event", "token")
                            .add("user", subject == null ? "-" : subject)
                            .add("remote", address)
                            .add("requested", join(requested))
                            .add("granted", join(granted))
                            .toString());
                    return ServerResponse.ok()
                            .contentType(MediaType.APPLICATION_JSON)
                            .cacheControl(CacheControl.noStore())
                            .bodyValue(body);
                });
    }

    /** Who is asking: a user, or empty for anonymous. Errors are 401 (bad credentials) or 429 (throttled). */
    private Mono<java.util.Optional<String>> identify(
            ServerRequest request, MultiValueMap<String, String> params, String grantType, String address) {
        return Mono.fromCallable(() -> {
            if ("refresh_token".equals(grantType)) {
                return java.util.Optional.of(redeem(params.getFirst("refresh_token"), address));
            }
            String user = null;
            String password = null;
            if ("password".equals(grantType)) {
                user = params.getFirst("username");
                password = params.getFirst("password");
            } else if (grantType != null) {
                throw new RegistryException(ErrorCode.UNSUPPORTED, "unsupported grant_type", grantType).withStatus(400);
            }
            String header = request.headers().firstHeader(HttpHeaders.AUTHORIZATION);
            if (user == null
                    && header != null
                    && RegistryAuthenticationManager.startsWithIgnoreCase(header, "Basic ")) {
                String[] basic = RegistryAuthenticationManager.decodeBasic(header);
                if (basic == null) {
                    throw invalidCredentials(address, "malformed Basic credentials");
                }
                user = basic[0];
                password = basic[1];
            }
            if (user == null) {
                return java.util.Optional.<String>empty();
            }
            throttle.blocked(address).ifPresent(wait -> {
                throw ChallengeResponder.tooManyRequests(new AuthFailures.Throttled(wait));
            });
            if (htpasswd == null || password == null || !htpasswd.authenticate(user, password)) {
                throw invalidCredentials(address, "invalid user name or password");
            }
            return java.util.Optional.of(user);
        });
    }

    private String redeem(String refreshToken, String address) {
        if (refreshToken == null) {
            throw new RegistryException(ErrorCode.UNAUTHORIZED, "refresh_token missing", null);
        }
        try {
            TokenVerifier.Verified verified = verifier.verifyAny(refreshToken);
            if (!"refresh".equals(verified.tokenUse()) || verified.subject().isEmpty()) {
                throw invalidCredentials(address, "not a refresh token");
            }
            if (htpasswd == null || !htpasswd.exists(verified.subject())) {
                throw invalidCredentials(address, "user no longer exists");
            }
            return verified.subject();
        } catch (TokenVerifier.InvalidTokenException e) {
            throw invalidCredentials(address, "invalid refresh token: " + e.getMessage());
        }
    }

    private RegistryException invalidCredentials(String address, String reason) {
        throttle.failure(address);
        audit.info(new LogLine()
                .add("event", "auth-failure")
                .add("path", properties.getToken().getIssuerEndpoint().getPath())
                .add("remote", address)
                .add("reason", reason)
                .toString());
        return new RegistryException(ErrorCode.UNAUTHORIZED, "invalid credentials", null)
                .withHeader("WWW-Authenticate", ChallengeResponder.basicChallenge(properties.getRealm()));
    }

    private static String join(List<ResourceScope> scopes) {
        return scopes.stream().map(ResourceScope::toString).collect(Collectors.joining(" "));
    }
}
