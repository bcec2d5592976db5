package dev.berth.registry.security;

import dev.berth.oci.Names;
import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.http.RouteKind;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.HttpMethod;
import org.springframework.util.MultiValueMap;

/**
 * What a {@code /v2} request needs, as distribution decides it: {@code pull} for GET/HEAD, {@code push} for
 * POST/PATCH/PUT, {@code delete} for DELETE, {@code registry:catalog:*} for the catalog. {@code /v2/} itself
 * needs only an identity. {@code pull} on the source repository of a cross-repository mount is not required of
 * the request: without it the mount is refused and the POST starts an ordinary upload ({@link MountRule}); it is
 * advertised in challenges, though, so that a client fetching a token asks for it.
 */
final class RequiredAccess {
    private RequiredAccess() {}

    /** The scopes a request must hold (empty for {@code /v2/}). */
    static List<ResourceScope> of(HttpMethod method, RegistryRoute route, MultiValueMap<String, String> query) {
        List<ResourceScope> scopes = new ArrayList<>();
        if (route.kind() == RouteKind.BASE) {
            return scopes;
        }
        if (route.kind() == RouteKind.CATALOG) {
            scopes.add(ResourceScope.CATALOG);
            return scopes;
        }
        scopes.add(ResourceScope.repository(route.name(), action(method, route)));
        return scopes;
    }

    /**
     * The scopes to advertise in a challenge: as required, except that writes ask for {@code pull,push}, since
     * a client that pushes also checks what exists (and this is what docker and containerd request themselves),
     * plus {@code pull} on the valid {@code from} of a mount, which the mount needs to succeed.
     */
    static List<ResourceScope> forChallenge(
            HttpMethod method, RegistryRoute route, MultiValueMap<String, String> query) {
        List<ResourceScope> advertised = new ArrayList<>();
        for (ResourceScope scope : of(method, route, query)) {
            if (scope.actions().contains("push")) {
                advertised.add(ResourceScope.repository(scope.name(), "pull", "push"));
            } else {
                advertised.add(scope);
            }
        }
        if (route.kind() == RouteKind.UPLOADS && HttpMethod.POST.equals(method) && query.getFirst("mount") != null) {
            String from = query.getFirst("from");
            if (from != null && Names.isRepository(from) && !from.equals(route.name())) {
                advertised.add(ResourceScope.repository(from, "pull"));
            }
        }
        return advertised;
    }

    private static String action(HttpMethod method, RegistryRoute route) {
        if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method)) {
            return "pull";
        }
        if (HttpMethod.DELETE.equals(method)) {
            // Cancelling one's own upload is part of pushing, not a deletion of content.
            return route.kind() == RouteKind.UPLOAD ? "push" : "delete";
        }
        return "push";
    }
}
