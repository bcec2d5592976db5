package dev.berth.registry.security;

import dev.berth.registry.http.RegistryErrorHandler;
import dev.berth.registry.tls.PemFiles;
import java.security.PublicKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
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
 */
@Configuration(proxyBeanMethods = false)
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
        return new AccessPolicy(properties.getRules(), properties.getGroups());
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
        ChallengeResponder responder = new ChallengeResponder(properties, throttle, errors);
        AuthenticationWebFilter authenticationFilter = new AuthenticationWebFilter(authentication);
        authenticationFilter.setServerAuthenticationConverter(authentication);
        authenticationFilter.setAuthenticationFailureHandler(responder);
        // Stateless: every request carries its credentials, nothing is kept in a session.
        authenticationFilter.setSecurityContextRepository(NoOpServerSecurityContextRepository.getInstance());
        return http
                .securityMatcher(ServerWebExchangeMatchers.pathMatchers("/v2", "/v2/**"))
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
                .authorizeExchange(exchanges -> exchanges.anyExchange()
                        .access(new RegistryAuthorizationManager(properties.getMode(), policy)))
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
