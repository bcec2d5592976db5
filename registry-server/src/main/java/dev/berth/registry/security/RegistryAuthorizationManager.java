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
 * identity. Paths that are not part of the API pass, so that the router answers them with 400/404 before any
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
            route = RegistryRoute.parse(
                    exchange.getRequest().getPath().pathWithinApplication().value());
        } catch (RegistryException e) {
            return Mono.just(GRANTED);
        }
        List<ResourceScope> required = RequiredAccess.of(
                exchange.getRequest().getMethod(), route, exchange.getRequest().getQueryParams());
        return authentication
                .filter(RegistryAuthentication.class::isInstance)
                .cast(RegistryAuthentication.class)
                .map(user -> {
                    exchange.getAttributes().put(RegistryAuthentication.USER_ATTRIBUTE, user.getName());
                    return decide(exchange, route, new CallerGrants(user, policy, anonymousByPolicy()), required);
                })
                .switchIfEmpty(Mono.fromSupplier(() -> route.kind() == RouteKind.BASE
                        ? REFUSED
                        : decide(exchange, route, new CallerGrants(null, policy, anonymousByPolicy()), required)));
    }

    /** Anonymous clients get what the policy gives anyone in htpasswd mode; in token mode they need a token. */
    private boolean anonymousByPolicy() {
        return mode == AuthProperties.AuthMode.HTPASSWD;
    }

    private AuthorizationResult decide(
            ServerWebExchange exchange, RegistryRoute route, CallerGrants grants, List<ResourceScope> required) {
        exchange.getAttributes().put(CallerGrants.ATTRIBUTE, grants);
        if (route.kind() == RouteKind.CATALOG) {
            // The catalog lists what the caller may pull (RepositoryVisibility): an identity is enough. Anonymous
            // clients see what anyone may pull; with nothing to see they are challenged to log in.
            return grants.isAnonymous() && !(anonymousByPolicy() && policy.anonymousMayPull()) ? REFUSED : GRANTED;
        }
        return required.stream().allMatch(grants::allows) ? GRANTED : REFUSED;
    }
}
