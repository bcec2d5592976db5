package dev.berth.registry.security;

import dev.berth.registry.config.ConfigurationProblem;
import dev.berth.registry.http.RegistryErrorHandler;
import dev.berth.registry.tls.PemFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.web.server.ManagementPortType;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.security.autoconfigure.actuate.web.reactive.EndpointRequest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpMethod;
import org.springframework.security.authorization.ReactiveAuthorizationManager;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.authorization.AuthorizationContext;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import org.springframework.security.web.server.util.matcher.OrServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * Wires {@code berth.auth.*} into Spring Security's WebFlux chain. With {@code mode=none} the chain matches no
 * request at all, so requests pass straight through. Otherwise it covers {@code /v2} and consists of one
 * authentication filter (Basic or Bearer, see {@link RegistryAuthenticationManager}), one authorization decision
 * ({@link RegistryAuthorizationManager}) and the {@link ChallengeResponder} for refusals; sessions, CSRF, request
 * caching and cache headers are off, since registry clients are not browsers.
 *
 * <p>A second chain with the same filters covers the operations endpoints ({@link OperationsAuthorizationManager}):
 * {@code /admin/**} and, when the actuator shares the main port, every actuator endpoint but {@code health}
 * (with its liveness and readiness probes) and {@code info}. With {@code mode=none} it matches nothing either.
 * Only in a reactive web application: the {@code gc} command runs without one.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
public class SecurityConfiguration {
    private static final String HTPASSWD_PATH = "berth.auth.htpasswd.path";
    private static final String SIGNING_KEY = "berth.auth.token.issuer-endpoint.signing-key";
    private static final String TRUSTED_KEYS = "berth.auth.token.trusted-keys";

    @Bean
    Clock securityClock() {
        return Clock.systemUTC();
    }

    @Bean
    FailureThrottle failureThrottle(AuthProperties properties, Clock securityClock) {
        return new FailureThrottle(
                properties.getThrottle().getMaxFailures(),
                properties.getThrottle().getWindow(),
                securityClock);
    }

    @Bean
    AccessPolicy accessPolicy(AuthProperties properties) {
        return new AccessPolicy(
                properties.getRules(), properties.getGroups(), properties.getAdminUsers(), properties.getAdminGroup());
    }

    @Bean
    RepositoryVisibility repositoryVisibility(AuthProperties properties, AccessPolicy policy) {
        return new RepositoryVisibility(
                properties.getMode(),
                policy,
                properties.getToken().getIssuerEndpoint().isEnabled());
    }

    @Bean
    @ConditionalOnProperty(prefix = "berth.auth.htpasswd", name = "path")
    HtpasswdFile htpasswdFile(AuthProperties properties, Clock securityClock) {
        AuthProperties.Htpasswd htpasswd = properties.getHtpasswd();
        Path file = ConfigurationProblem.readableFile(
                HTPASSWD_PATH, htpasswd.getPath(), "a bcrypt htpasswd file (htpasswd -Bc FILE USER writes one)");
        return ConfigurationProblem.check(
                HTPASSWD_PATH,
                "Point " + HTPASSWD_PATH + " at a readable htpasswd file.",
                () -> new HtpasswdFile(file, htpasswd.getCacheTtl(), htpasswd.getReloadInterval(), securityClock));
    }

    @Bean
    @ConditionalOnProperty(prefix = "berth.auth.token.issuer-endpoint", name = "enabled", havingValue = "true")
    TokenIssuer tokenIssuer(AuthProperties properties, Clock securityClock) {
        AuthProperties.Token token = properties.getToken();
        AuthProperties.IssuerEndpoint endpoint = token.getIssuerEndpoint();
        if (properties.getMode() != AuthProperties.AuthMode.TOKEN) {
            throw new ConfigurationProblem(
                    "berth.auth.token.issuer-endpoint.enabled",
                    "The token issuer endpoint is on, but berth.auth.mode is "
                            + properties.getMode().name().toLowerCase(java.util.Locale.ROOT) + ".",
                    "Set berth.auth.mode=token, or berth.auth.token.issuer-endpoint.enabled=false.");
        }
        Path keyPath = endpoint.getSigningKey();
        if (keyPath != null && Files.exists(keyPath)) {
            ConfigurationProblem.readableFile(SIGNING_KEY, keyPath, "a PEM private key");
        }
        SigningKey key = ConfigurationProblem.check(
                SIGNING_KEY,
                "Point " + SIGNING_KEY + " at an unencrypted PEM "
                        + "private key (EC P-256 or RSA), or at a path that does not exist yet in a writable directory: "
                        + "Berth then generates a key there.",
                () -> SigningKey.loadOrGenerate(keyPath, endpoint.getAlgorithm()));
        return new TokenIssuer(
                key,
                token.getIssuer(),
                token.getService(),
                endpoint.getExpiresIn(),
                endpoint.getRefreshTokenTtl(),
                securityClock);
    }

    @Bean
    @ConditionalOnProperty(prefix = "berth.auth", name = "mode", havingValue = "token")
    TokenVerifier tokenVerifier(AuthProperties properties, ObjectProvider<TokenIssuer> issuer, Clock securityClock) {
        AuthProperties.Token token = properties.getToken();
        List<PublicKey> keys = new ArrayList<>();
        for (var path : token.getTrustedKeys()) {
            Path file = ConfigurationProblem.readableFile(TRUSTED_KEYS, path, "a PEM public key or certificate");
            keys.addAll(ConfigurationProblem.check(
                    TRUSTED_KEYS,
                    "Point " + TRUSTED_KEYS + " at PEM files holding "
                            + "public keys (BEGIN PUBLIC KEY) or certificates of the token service.",
                    () -> PemFiles.readPublicKeys(file)));
        }
        issuer.ifAvailable(i -> keys.add(i.key().publicKey()));
        if (keys.isEmpty() && token.getJwksUrl() == null) {
            throw new ConfigurationProblem(
                    TRUSTED_KEYS,
                    "berth.auth.mode=token, but no key may sign tokens.",
                    "Set " + TRUSTED_KEYS + " (PEM keys of your token service), berth.auth.token.jwks-url, or "
                            + "berth.auth.token.issuer-endpoint.enabled=true to let Berth issue tokens itself.");
        }
        if (token.getRealm() == null && issuer.getIfAvailable() == null) {
            throw new ConfigurationProblem(
                    "berth.auth.token.realm",
                    "berth.auth.mode=token with an external token " + "service, but clients are not told where it is.",
                    "Set berth.auth.token.realm to the token "
                            + "service URL, or berth.auth.token.issuer-endpoint.enabled=true.");
        }
        return ConfigurationProblem.check(
                "berth.auth.token.jwks-url",
                "Set berth.auth.token.jwks-url to an " + "http(s) URL of a JWKS document.",
                () -> new TokenVerifier(
                        token.getIssuer(),
                        token.getService(),
                        token.getClockSkew(),
                        securityClock,
                        keys,
                        token.getJwksUrl()));
    }

    /** Always defined: it also keeps Spring Boot from creating its default user with a generated password. */
    @Bean
    RegistryAuthenticationManager registryAuthenticationManager(
            AuthProperties properties,
            ObjectProvider<HtpasswdFile> htpasswd,
            ObjectProvider<TokenVerifier> verifier,
            FailureThrottle throttle) {
        if (properties.getMode() == AuthProperties.AuthMode.HTPASSWD && htpasswd.getIfAvailable() == null) {
            throw new ConfigurationProblem(
                    HTPASSWD_PATH,
                    "berth.auth.mode=htpasswd, but no htpasswd file is set.",
                    "Set " + HTPASSWD_PATH + " to a bcrypt htpasswd file (htpasswd -Bc FILE USER writes one).");
        }
        return new RegistryAuthenticationManager(
                properties.getMode(), htpasswd.getIfAvailable(), verifier.getIfAvailable(), throttle);
    }

    @Bean
    SecurityWebFilterChain registrySecurityChain(
            ServerHttpSecurity http,
            AuthProperties properties,
            RegistryAuthenticationManager authentication,
            AccessPolicy policy,
            FailureThrottle throttle,
            RegistryErrorHandler errors) {
        if (properties.getMode() == AuthProperties.AuthMode.NONE) {
            return http.securityMatcher(exchange -> ServerWebExchangeMatcher.MatchResult.notMatch())
                    .build();
        }
        return statelessChain(
                http,
                ServerWebExchangeMatchers.pathMatchers("/v2", "/v2/**"),
                authentication,
                new RegistryAuthorizationManager(properties.getMode(), policy),
                new ChallengeResponder(properties, throttle, errors));
    }

    /** {@code /admin/**} and the actuator endpoints other than health and info; see the class comment. */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    SecurityWebFilterChain operationsSecurityChain(
            ServerHttpSecurity http,
            AuthProperties properties,
            RegistryAuthenticationManager authentication,
            AccessPolicy policy,
            FailureThrottle throttle,
            RegistryErrorHandler errors,
            Environment environment) {
        if (properties.getMode() == AuthProperties.AuthMode.NONE) {
            return http.securityMatcher(exchange -> ServerWebExchangeMatcher.MatchResult.notMatch())
                    .build();
        }
        ServerWebExchangeMatcher admin = ServerWebExchangeMatchers.pathMatchers("/admin", "/admin/**");
        ServerWebExchangeMatcher matcher = ManagementPortType.get(environment) == ManagementPortType.SAME
                ? new OrServerWebExchangeMatcher(
                        admin, EndpointRequest.toAnyEndpoint().excluding("health", "info"))
                : admin;
        return statelessChain(
                http,
                matcher,
                authentication,
                new OperationsAuthorizationManager(policy),
                new ChallengeResponder(properties, throttle, errors));
    }

    static SecurityWebFilterChain statelessChain(
            ServerHttpSecurity http,
            ServerWebExchangeMatcher matcher,
            RegistryAuthenticationManager authentication,
            ReactiveAuthorizationManager<AuthorizationContext> access,
            ChallengeResponder responder) {
        AuthenticationWebFilter authenticationFilter = new AuthenticationWebFilter(authentication);
        authenticationFilter.setServerAuthenticationConverter(authentication);
        authenticationFilter.setAuthenticationFailureHandler(responder);
        // Stateless: every request carries its credentials, nothing is kept in a session.
        authenticationFilter.setSecurityContextRepository(NoOpServerSecurityContextRepository.getInstance());
        return http.securityMatcher(matcher)
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .anonymous(ServerHttpSecurity.AnonymousSpec::disable)
                .requestCache(cache -> cache.requestCache(NoOpServerRequestCache.getInstance()))
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
                // Blob responses carry their own caching headers; Spring's no-cache default would clobber them.
                .headers(headers -> headers.cache(ServerHttpSecurity.HeaderSpec.CacheSpec::disable))
                .addFilterAt(authenticationFilter, SecurityWebFiltersOrder.AUTHENTICATION)
                .authorizeExchange(exchanges -> exchanges.anyExchange().access(access))
                .exceptionHandling(
                        handling -> handling.authenticationEntryPoint(responder).accessDeniedHandler(responder))
                .build();
    }

    @Bean
    @ConditionalOnProperty(prefix = "berth.auth.token.issuer-endpoint", name = "enabled", havingValue = "true")
    RouterFunction<ServerResponse> tokenEndpointRoute(
            AuthProperties properties,
            TokenIssuer issuer,
            TokenVerifier verifier,
            ObjectProvider<HtpasswdFile> htpasswd,
            AccessPolicy policy,
            FailureThrottle throttle) {
        TokenEndpoint endpoint =
                new TokenEndpoint(properties, issuer, verifier, htpasswd.getIfAvailable(), policy, throttle);
        String path = properties.getToken().getIssuerEndpoint().getPath();
        return RouterFunctions.route(
                        RequestPredicates.method(HttpMethod.GET).and(RequestPredicates.path(path)), endpoint::get)
                .andRoute(RequestPredicates.method(HttpMethod.POST).and(RequestPredicates.path(path)), endpoint::post);
    }
}
