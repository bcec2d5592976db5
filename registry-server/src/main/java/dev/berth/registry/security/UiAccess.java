package dev.berth.registry.security;

import org.springframework.web.server.ServerWebExchange;

/**
 * What a caller of the web UI may see and do, by the same {@link AccessPolicy} decision as the API. The caller
 * is the user the {@code /ui/api/**} security chain authenticated: a Basic user, or the subject of a bearer token
 * (the UI's tokens come from Berth's own token endpoint, which grants by this same policy); null for anonymous
 * callers. With {@code berth.auth.mode=none} everything is open, as it is for the API.
 */
public final class UiAccess {
    private final AuthProperties.AuthMode mode;
    private final AccessPolicy policy;
    private final boolean deleteEnabled;

    public UiAccess(AuthProperties.AuthMode mode, AccessPolicy policy, boolean deleteEnabled) {
        this.mode = mode;
        this.policy = policy;
        this.deleteEnabled = deleteEnabled;
    }

    /** The authenticated user of a {@code /ui/api/**} request, or null when anonymous. */
    public static String user(ServerWebExchange exchange) {
        return exchange.getAttribute(RegistryAuthentication.USER_ATTRIBUTE);
    }

    public AuthProperties.AuthMode mode() {
        return mode;
    }

    public boolean mayPull(String user, String repository) {
        return mode == AuthProperties.AuthMode.NONE || policy.allows(user, "repository", repository, "pull");
    }

    /** Whether deletes are enabled and the user may delete manifests and tags of the repository. */
    public boolean mayDelete(String user, String repository) {
        return deleteEnabled
                && (mode == AuthProperties.AuthMode.NONE || policy.allows(user, "repository", repository, "delete"));
    }

    /** Whether the user has the admin grant ({@code /admin/**}); open with {@code mode=none}. */
    public boolean isAdmin(String user) {
        return mode == AuthProperties.AuthMode.NONE || policy.isAdmin(user);
    }
}
