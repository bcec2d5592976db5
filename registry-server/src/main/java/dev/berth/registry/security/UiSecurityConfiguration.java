package dev.berth.registry.security;

import dev.berth.registry.config.BerthProperties;
import dev.berth.registry.http.RegistryErrorHandler;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.ReactiveAuthorizationManager;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.authorization.AuthorizationContext;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;

/**
 * Authentication for the web UI's own JSON endpoints ({@code /ui/api/**}): the same credentials as the API
 * (Basic in htpasswd mode, Bearer in token mode), checked by the same filter, but anonymous requests pass too.
 * The handlers then ask {@link UiAccess} what the caller may see, so anonymous users see what the anonymous
 * pull rules allow. Wrong credentials are refused (401), which is how the UI's login form learns a password
 * is wrong. With {@code mode=none} the chain matches nothing.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
public class UiSecurityConfiguration {

    @Bean
    UiAccess uiAccess(AuthProperties auth, AccessPolicy policy, BerthProperties berth) {
        return new UiAccess(
                auth.getMode(), policy, berth.getStorage().getDelete().isEnabled());
    }

    @Bean
    SecurityWebFilterChain uiApiSecurityChain(
            ServerHttpSecurity http,
            AuthProperties properties,
            RegistryAuthenticationManager authentication,
            FailureThrottle throttle,
            RegistryErrorHandler errors) {
        if (properties.getMode() == AuthProperties.AuthMode.NONE) {
            return http.securityMatcher(exchange -> ServerWebExchangeMatcher.MatchResult.notMatch())
                    .build();
        }
        return SecurityConfiguration.statelessChain(
                http,
                ServerWebExchangeMatchers.pathMatchers("/ui/api/**"),
                authentication,
                anyoneRecordingUser(),
                new ChallengeResponder(properties, throttle, errors));
    }

    /** Lets everyone through, noting who authenticated (for the handlers, the access log and the audit log). */
    private static ReactiveAuthorizationManager<AuthorizationContext> anyoneRecordingUser() {
        AuthorizationDecision granted = new AuthorizationDecision(true);
        return (authentication, context) -> authentication
                .filter(RegistryAuthentication.class::isInstance)
                .doOnNext(user -> {
                    if (user.getName() != null && !user.getName().isEmpty()) {
                        context.getExchange()
                                .getAttributes()
                                .put(RegistryAuthentication.USER_ATTRIBUTE, user.getName());
                    }
                })
                .map(user -> (org.springframework.security.authorization.AuthorizationResult) granted)
                .defaultIfEmpty(granted);
    }
}
