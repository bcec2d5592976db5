package dev.berth.registry.security;

import java.util.Map;
import java.util.Optional;

/**
 * What the caller of a {@code /v2} request may do: what its token grants, or what the {@link AccessPolicy} allows
 * a Basic user (or, in htpasswd mode, an anonymous client). {@link RegistryAuthorizationManager} decides the
 * request with it and leaves it on the exchange, so that checks the route alone cannot express are made the same
 * way later: whether a mount may take a blob from its {@code from} repository ({@link MountRule}).
 */
public final class CallerGrants {
    /** Exchange attribute holding the caller's grants; absent when no security chain ran. */
    static final String ATTRIBUTE = CallerGrants.class.getName();

    private final RegistryAuthentication caller;
    private final AccessPolicy policy;
    private final boolean anonymousByPolicy;

    /**
     * @param caller            the authenticated caller, or null for an anonymous one
     * @param anonymousByPolicy whether anonymous callers get what the policy gives anyone (htpasswd mode); in
     *                          token mode every caller holds a token, possibly an anonymous one
     */
    CallerGrants(RegistryAuthentication caller, AccessPolicy policy, boolean anonymousByPolicy) {
        this.caller = caller;
        this.policy = policy;
        this.anonymousByPolicy = anonymousByPolicy;
    }

    /** The grants the security chain left among a request's attributes; empty when there was no chain. */
    public static Optional<CallerGrants> of(Map<String, Object> exchangeAttributes) {
        return Optional.ofNullable((CallerGrants) exchangeAttributes.get(ATTRIBUTE));
    }

    /** Whether no identity came with the request (no Basic user, no token). */
    boolean isAnonymous() {
        return caller == null;
    }

    /** Whether the caller may pull the repository, exactly as a GET of it would be decided. */
    public boolean mayPull(String repository) {
        return allows(ResourceScope.repository(repository, "pull"));
    }

    /** Whether the caller holds every action of the scope. */
    boolean allows(ResourceScope scope) {
        for (String action : scope.actions()) {
            if (!allows(scope.type(), scope.name(), action)) {
                return false;
            }
        }
        return true;
    }

    private boolean allows(String type, String name, String action) {
        if (caller == null) {
            return anonymousByPolicy && policy.allows(null, type, name, action);
        }
        if (caller.tokenAccess() != null) {
            return caller.tokenAccess().stream().anyMatch(g -> g.allows(type, name, action));
        }
        return policy.allows(caller.getName(), type, name, action);
    }
}
