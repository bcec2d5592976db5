package dev.berth.registry.security;

import dev.berth.registry.manifest.Catalog;
import java.security.Principal;
import java.util.List;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Which repository names a caller may see in listings ({@code _catalog}, the web UI): the ones it may pull, as
 * zot and Harbor do. A caller granted {@code registry:catalog:*} sees every name.
 *
 * <ul>
 *   <li>{@code mode=none}: every name.</li>
 *   <li>A Basic user, or an anonymous client in htpasswd mode: what the {@link AccessPolicy} lets it pull.</li>
 *   <li>A bearer token from Berth's own issuer endpoint: what the policy lets the token's subject pull (an
 *       anonymous token: what anyone may pull), since the registry holds the same rules the issuer applied.</li>
 *   <li>A bearer token from an external issuer only: the registry does not know that issuer's rules, so it lists
 *       the repositories the token itself grants {@code pull} on.</li>
 * </ul>
 */
public final class RepositoryVisibility {
    private static final Catalog.Visibility EVERY_NAME = name -> true;

    private final AuthProperties.AuthMode mode;
    private final AccessPolicy policy;
    private final boolean ownIssuer;

    /** @param ownIssuer whether Berth's own token endpoint issues the tokens (it applies {@code policy}) */
    public RepositoryVisibility(AuthProperties.AuthMode mode, AccessPolicy policy, boolean ownIssuer) {
        this.mode = mode;
        this.policy = policy;
        this.ownIssuer = ownIssuer;
    }

    /** The names the caller of {@code exchange} may see. */
    public Mono<Catalog.Visibility> forExchange(ServerWebExchange exchange) {
        return exchange.getPrincipal().map(this::forPrincipal).defaultIfEmpty(forCaller(null));
    }

    private Catalog.Visibility forPrincipal(Principal principal) {
        return forCaller(principal instanceof RegistryAuthentication caller ? caller : null);
    }

    /** The names {@code caller} (null: an anonymous client) may see. */
    public Catalog.Visibility forCaller(RegistryAuthentication caller) {
        if (mode == AuthProperties.AuthMode.NONE) {
            return EVERY_NAME;
        }
        if (caller == null) {
            return pullableBy(null);
        }
        List<ResourceScope> granted = caller.tokenAccess();
        if (granted == null) {
            return pullableBy(caller.getName());
        }
        if (granted.stream().anyMatch(g -> g.allows(ResourceScope.CATALOG.type(), ResourceScope.CATALOG.name(), "*"))) {
            return EVERY_NAME;
        }
        Catalog.Visibility inToken = grantedPull(granted);
        if (!ownIssuer) {
            return inToken;
        }
        String subject = caller.getName() == null || caller.getName().isEmpty() ? null : caller.getName();
        Catalog.Visibility bySubject = pullableBy(subject);
        return new Catalog.Visibility() {
            @Override
            public boolean test(String name) {
                return inToken.test(name) || bySubject.test(name);
            }

            @Override
            public boolean mayShowUnder(String prefix) {
                return inToken.mayShowUnder(prefix) || bySubject.mayShowUnder(prefix);
            }
        };
    }

    private Catalog.Visibility pullableBy(String user) {
        if (policy.allows(user, ResourceScope.CATALOG.type(), ResourceScope.CATALOG.name(), "*")) {
            return EVERY_NAME;
        }
        return new Catalog.Visibility() {
            @Override
            public boolean test(String name) {
                return policy.allows(user, "repository", name, "pull");
            }

            @Override
            public boolean mayShowUnder(String prefix) {
                return policy.mayAllowUnder(user, prefix, "pull");
            }
        };
    }

    /** The repositories a token itself grants {@code pull} on. */
    private static Catalog.Visibility grantedPull(List<ResourceScope> granted) {
        return new Catalog.Visibility() {
            @Override
            public boolean test(String name) {
                return granted.stream().anyMatch(g -> g.allows("repository", name, "pull"));
            }

            @Override
            public boolean mayShowUnder(String prefix) {
                return granted.stream()
                        .anyMatch(g -> g.name().startsWith(prefix) && g.allows("repository", g.name(), "pull"));
            }
        };
    }
}
