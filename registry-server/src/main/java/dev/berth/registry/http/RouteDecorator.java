package dev.berth.registry.http;

import org.springframework.http.HttpMethod;

/**
 * Wraps the handler of one entry of the route table, so a feature can take over some requests without the
 * handlers knowing (the pull-through cache, {@code dev.berth.registry.proxy}, serves mirrored repositories).
 */
@FunctionalInterface
public interface RouteDecorator {
    RegistryRouter.RouteHandler decorate(RouteKind kind, HttpMethod method, RegistryRouter.RouteHandler handler);
}
