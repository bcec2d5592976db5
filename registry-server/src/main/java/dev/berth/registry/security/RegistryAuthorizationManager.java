package dev.berth.registry.security;

import dev.berth.registry.http.RegistryException;
import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.http.RouteKind;
import java.util.List;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationResult;
import org.springframework.security.authorization.ReactiveAuthorizationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.server.authorization.AuthorizationContext;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Decides whether a {@code /v2} request may proceed: the route (parsed with {@link RegistryRoute}) and method say
 * which scopes are needed ({@link RequiredAccess}); a token must grant each of them, a Basic user must be allowed
 * them by the {@link AccessPolicy}, and an anonymous client only gets what the policy gives anyone (htpasswd
 * mode; in token mode every request needs a token, possibly an anonymous one). {@code /v2/} needs only an
 * identity, and so does {@code /v2/_catalog}, which lists only what the caller may pull. Paths that are not part
 * of the API pass, so that the router answers them with 400/404 before any
 * storage is touched.
 */
final class RegistryAuthorizationManager implements ReactiveAuthorizationManager<AuthorizationContext> {
    private static final AuthorizationDecision GRANTED = new AuthorizationDecision(true);
    private static final AuthorizationDecision REFUSED = new AuthorizationDecision(false);

    private final AuthProperties.AuthMode mode;
    private final AccessPolicy policy;

    RegistryAuthorizationManager(AuthProperties.AuthMode mode, AccessPolicy policy) {
        this.mode = mode;
        this.policy = policy;
    }

    @Override
    public Mono<AuthorizationResult> authorize(Mono<Authentication> authentication, AuthorizationContext context) {
        ServerWebExchange exchange = context.getExchange();
        RegistryRoute route;
        try {
            route = RegistryRoute.parse(exchange.getRequest().getPath().pathWithinApplication().value());
        } catch (RegistryException e) {
            return Mono.just(GRANTED);
        }
        List<ResourceScope> required = RequiredAccess.of(exchange.getRequest().getMethod(), route,
                exchange.getRequest().getQueryParams());
        return authentication
                .filter(RegistryAuthentication.class::isInstance)
                .cast(RegistryAuthentication.class)
                .map(user -> {
                    exchange.getAttributes().put(RegistryAuthentication.USER_ATTRIBUTE, user.getName());
                    // The catalog lists what the caller may pull (RepositoryVisibility): an identity is enough.
                    boolean ok = route.kind() == RouteKind.CATALOG || allowed(user, required);
                    return (AuthorizationResult) (ok ? GRANTED : REFUSED);
                })
                .defaultIfEmpty(anonymousAllowed(route, required) ? GRANTED : REFUSED);
    }

    private boolean allowed(RegistryAuthentication user, List<ResourceScope> required) {
        for (ResourceScope scope : required) {
            for (String action : scope.actions()) {
                boolean ok = user.tokenAccess() != null
                        ? user.tokenAccess().stream().anyMatch(g -> g.allows(scope.type(), scope.name(), action))
                        : policy.allows(user.getName(), scope.type(), scope.name(), action);
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean anonymousAllowed(RegistryRoute route, List<ResourceScope> required) {
        if (mode != AuthProperties.AuthMode.HTPASSWD || route.kind() == RouteKind.BASE) {
            return false;
        }
        if (route.kind() == RouteKind.CATALOG) {
            // Anonymous clients see what anyone may pull; with nothing to see they are challenged to log in.
            return policy.anonymousMayPull();
        }
        for (ResourceScope scope : required) {
            for (String action : scope.actions()) {
                if (!policy.allows(null, scope.type(), scope.name(), action)) {
                    return false;
                }
            }
        }
        return true;
    }
}
