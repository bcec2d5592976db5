package dev.berth.registry.security;

import dev.berth.registry.http.RegistryErrorHandler;
import dev.berth.registry.tls.PemFiles;
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

    @Bean
    Clock securityClock() {
        return Clock.systemUTC();
    }

    @Bean
    FailureThrottle failureThrottle(AuthProperties properties, Clock securityClock) {
        return new FailureThrottle(properties.getThrottle().getMaxFailures(), properties.getThrottle().getWindow(),
                securityClock);
    }

    @Bean
    AccessPolicy accessPolicy(AuthProperties properties) {
        return new AccessPolicy(properties.getRules(), properties.getGroups(), properties.getAdminUsers(),
                properties.getAdminGroup());
    }

    @Bean
    @ConditionalOnProperty(prefix = "berth.auth.htpasswd", name = "path")
    HtpasswdFile htpasswdFile(AuthProperties properties, Clock securityClock) {
        AuthProperties.Htpasswd htpasswd = properties.getHtpasswd();
        return new HtpasswdFile(htpasswd.getPath(), htpasswd.getCacheTtl(), htpasswd.getReloadInterval(),
                securityClock);
    }

    @Bean
    @ConditionalOnProperty(prefix = "berth.auth.token.issuer-endpoint", name = "enabled", havingValue = "true")
    TokenIssuer tokenIssuer(AuthProperties properties, Clock securityClock) {
        AuthProperties.Token token = properties.getToken();
        AuthProperties.IssuerEndpoint endpoint = token.getIssuerEndpoint();
        if (properties.getMode() != AuthProperties.AuthMode.TOKEN) {
            throw new IllegalStateException("berth.auth.token.issuer-endpoint.enabled needs berth.auth.mode=token");
        }
        return new TokenIssuer(SigningKey.loadOrGenerate(endpoint.getSigningKey(), endpoint.getAlgorithm()),
                token.getIssuer(), token.getService(), endpoint.getExpiresIn(), endpoint.getRefreshTokenTtl(),
                securityClock);
    }

    @Bean
    @ConditionalOnProperty(prefix = "berth.auth", name = "mode", havingValue = "token")
    TokenVerifier tokenVerifier(AuthProperties properties, ObjectProvider<TokenIssuer> issuer, Clock securityClock) {
        AuthProperties.Token token = properties.getToken();
        List<PublicKey> keys = new ArrayList<>();
        for (var path : token.getTrustedKeys()) {
            keys.addAll(PemFiles.readPublicKeys(path));
        }
        issuer.ifAvailable(i -> keys.add(i.key().publicKey()));
        if (keys.isEmpty() && token.getJwksUrl() == null) {
            throw new IllegalStateException("berth.auth.mode=token needs berth.auth.token.trusted-keys, "
                    + "berth.auth.token.jwks-url or berth.auth.token.issuer-endpoint.enabled=true");
        }
        if (token.getRealm() == null && issuer.getIfAvailable() == null) {
            throw new IllegalStateException("berth.auth.mode=token needs berth.auth.token.realm "
                    + "(the token service URL) unless Berth's own issuer endpoint is enabled");
        }
        return new TokenVerifier(token.getIssuer(), token.getService(), token.getClockSkew(), securityClock, keys,
                token.getJwksUrl());
    }

    /** Always defined: it also keeps Spring Boot from creating its default user with a generated password. */
    @Bean
    RegistryAuthenticationManager registryAuthenticationManager(AuthProperties properties,
                                                                ObjectProvider<HtpasswdFile> htpasswd,
                                                                ObjectProvider<TokenVerifier> verifier,
                                                                FailureThrottle throttle) {
        if (properties.getMode() == AuthProperties.AuthMode.HTPASSWD && htpasswd.getIfAvailable() == null) {
            throw new IllegalStateException("berth.auth.mode=htpasswd needs berth.auth.htpasswd.path");
        }
        return new RegistryAuthenticationManager(properties.getMode(), htpasswd.getIfAvailable(),
                verifier.getIfAvailable(), throttle);
    }

    @Bean
    SecurityWebFilterChain registrySecurityChain(ServerHttpSecurity http, AuthProperties properties,
                                                 RegistryAuthenticationManager authentication, AccessPolicy policy,
                                                 FailureThrottle throttle, RegistryErrorHandler errors) {
        if (properties.getMode() == AuthProperties.AuthMode.NONE) {
            return http.securityMatcher(exchange -> ServerWebExchangeMatcher.MatchResult.notMatch()).build();
        }
        return statelessChain(http, ServerWebExchangeMatchers.pathMatchers("/v2", "/v2/**"), authentication,
                new RegistryAuthorizationManager(properties.getMode(), policy),
                new ChallengeResponder(properties, throttle, errors));
    }

    /** {@code /admin/**} and the actuator endpoints other than health and info; see the class comment. */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    SecurityWebFilterChain operationsSecurityChain(ServerHttpSecurity http, AuthProperties properties,
                                                   RegistryAuthenticationManager authentication, AccessPolicy policy,
                                                   FailureThrottle throttle, RegistryErrorHandler errors,
                                                   Environment environment) {
        if (properties.getMode() == AuthProperties.AuthMode.NONE) {
            return http.securityMatcher(exchange -> ServerWebExchangeMatcher.MatchResult.notMatch()).build();
        }
        ServerWebExchangeMatcher admin = ServerWebExchangeMatchers.pathMatchers("/admin", "/admin/**");
        ServerWebExchangeMatcher matcher = ManagementPortType.get(environment) == ManagementPortType.SAME
                ? new OrServerWebExchangeMatcher(admin,
                        EndpointRequest.toAnyEndpoint().excluding("health", "info"))
                : admin;
        return statelessChain(http, matcher, authentication, new OperationsAuthorizationManager(policy),
                new ChallengeResponder(properties, throttle, errors));
    }

    static SecurityWebFilterChain statelessChain(ServerHttpSecurity http, ServerWebExchangeMatcher matcher,
                                                 RegistryAuthenticationManager authentication,
                                                 ReactiveAuthorizationManager<AuthorizationContext> access,
                                                 ChallengeResponder responder) {
        AuthenticationWebFilter authenticationFilter = new AuthenticationWebFilter(authentication);
        authenticationFilter.setServerAuthenticationConverter(authentication);
        authenticationFilter.setAuthenticationFailureHandler(responder);
        // Stateless: every request carries its credentials, nothing is kept in a session.
        authenticationFilter.setSecurityContextRepository(NoOpServerSecurityContextRepository.getInstance());
        return http
                .securityMatcher(matcher)
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
                .exceptionHandling(handling -> handling.authenticationEntryPoint(responder)
                        .accessDeniedHandler(responder))
                .build();
    }

    @Bean
    @ConditionalOnProperty(prefix = "berth.auth.token.issuer-endpoint", name = "enabled", havingValue = "true")
    RouterFunction<ServerResponse> tokenEndpointRoute(AuthProperties properties, TokenIssuer issuer,
                                                      TokenVerifier verifier, ObjectProvider<HtpasswdFile> htpasswd,
                                                      AccessPolicy policy, FailureThrottle throttle) {
        TokenEndpoint endpoint = new TokenEndpoint(properties, issuer, verifier, htpasswd.getIfAvailable(), policy,
                throttle);
        String path = properties.getToken().getIssuerEndpoint().getPath();
        return RouterFunctions.route(RequestPredicates.method(HttpMethod.GET).and(RequestPredicates.path(path)),
                        endpoint::get)
                .andRoute(RequestPredicates.method(HttpMethod.POST).and(RequestPredicates.path(path)), endpoint::post);
    }
}
