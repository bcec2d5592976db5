package dev.berth.registry.notify;

import dev.berth.registry.support.RepositoryGlob;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Which events an endpoint wants: by action, by repository glob and by target media type. Empty lists mean no
 * restriction. Globs read like those of {@code berth.auth.rules}: {@code *} within one path component,
 * {@code **} across components, {@code ?} one character.
 */
record EndpointFilter(Set<String> actions, List<Pattern> repositories, Set<String> ignoredMediaTypes) {

    static EndpointFilter of(NotificationProperties.Endpoint endpoint) {
        Set<String> actions = endpoint.getActions().stream()
                .map(a -> a.trim().toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
        for (String action : actions) {
            boolean known = false;
            for (Action a : Action.values()) {
                known |= a.id().equals(action);
            }
            if (!known) {
                throw new IllegalStateException("berth.notifications endpoint '" + endpoint.getName()
                        + "': unknown action '" + action + "' (expected push, pull, delete or mount)");
            }
        }
        List<Pattern> globs =
                endpoint.getRepositories().stream().map(RepositoryGlob::compile).toList();
        Set<String> ignored = endpoint.getIgnoredMediaTypes().stream()
                .map(t -> t.trim().toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
        return new EndpointFilter(actions, globs, ignored);
    }

    boolean accepts(Event event) {
        if (!actions.isEmpty() && !actions.contains(event.action())) {
            return false;
        }
        Event.Target target = event.target();
        if (target.mediaType() != null
                && ignoredMediaTypes.contains(target.mediaType().toLowerCase(Locale.ROOT))) {
            return false;
        }
        if (repositories.isEmpty()) {
            return true;
        }
        for (Pattern glob : repositories) {
            if (glob.matcher(target.repository()).matches()) {
                return true;
            }
        }
        return false;
    }
}
