package dev.berth.registry.security;

import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationResult;
import org.springframework.security.authorization.ReactiveAuthorizationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.server.authorization.AuthorizationContext;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Decides for the operations endpoints when authentication is on: {@code /admin/**} needs the admin grant (a
 * Basic user named by {@code berth.auth.admin-users} or in {@code berth.auth.admin-group}; a token granting
 * {@code registry:admin:*}); the protected actuator endpoints (metrics) need any authenticated, named user.
 */
final class OperationsAuthorizationManager implements ReactiveAuthorizationManager<AuthorizationContext> {
    private static final AuthorizationDecision GRANTED = new AuthorizationDecision(true);
    private static final AuthorizationDecision REFUSED = new AuthorizationDecision(false);

    private final AccessPolicy policy;

    OperationsAuthorizationManager(AccessPolicy policy) {
        this.policy = policy;
    }

    static boolean isAdminPath(ServerWebExchange exchange) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        return path.equals("/admin") || path.startsWith("/admin/");
    }

    @Override
    public Mono<AuthorizationResult> authorize(Mono<Authentication> authentication, AuthorizationContext context) {
        ServerWebExchange exchange = context.getExchange();
        boolean admin = isAdminPath(exchange);
        return authentication
                .filter(RegistryAuthentication.class::isInstance)
                .cast(RegistryAuthentication.class)
                .filter(user -> user.getName() != null && !user.getName().isEmpty())
                .map(user -> {
                    exchange.getAttributes().put(RegistryAuthentication.USER_ATTRIBUTE, user.getName());
                    return (AuthorizationResult) (!admin || isAdmin(user) ? GRANTED : REFUSED);
                })
                .defaultIfEmpty(REFUSED);
    }

    private boolean isAdmin(RegistryAuthentication user) {
        if (user.tokenAccess() != null) {
            return user.tokenAccess().stream()
                    .anyMatch(grant -> grant.allows(ResourceScope.ADMIN.type(), ResourceScope.ADMIN.name(), "*"));
        }
        return policy.isAdmin(user.getName());
    }
}
