package dev.berth.registry.notify;

import java.util.List;
import org.springframework.web.reactive.function.server.ServerRequest;

/**
 * Where handlers report what happened, one call at the moment it happened (after the storage write
 * succeeded). Implementations must return at once: delivery happens elsewhere and never slows a request.
 */
public interface RegistryEvents {
    /** Reports nothing; the bean when no endpoint is configured. */
    RegistryEvents NONE = (request, action, target) -> {};

    void publish(ServerRequest request, Action action, Event.Target target);

    default void publishAll(ServerRequest request, Action action, List<Event.Target> targets) {
        targets.forEach(target -> publish(request, action, target));
    }
}
