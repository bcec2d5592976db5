package dev.berth.registry.http;

import dev.berth.oci.ErrorCode;
import dev.berth.registry.http.handler.BaseHandler;
import dev.berth.registry.http.handler.BlobHandler;
import dev.berth.registry.http.handler.CatalogHandler;
import dev.berth.registry.http.handler.ManifestHandler;
import dev.berth.registry.http.handler.ReferrersHandler;
import dev.berth.registry.http.handler.TagHandler;
import dev.berth.registry.http.handler.UploadHandler;
import java.util.EnumMap;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The route table of the distribution API: (endpoint, method) to handler. Paths are parsed by
 * {@link RegistryRoute} into a typed route that handlers read with {@link #route(ServerRequest)}.
 */
@Configuration(proxyBeanMethods = false)
public class RegistryRouter {
    private static final String ROUTE_ATTRIBUTE = RegistryRoute.class.getName();

    /** A handler that receives the parsed route. */
    @FunctionalInterface
    public interface RouteHandler {
        Mono<ServerResponse> handle(ServerRequest request, RegistryRoute route);
    }

    @Bean
    RouterFunction<ServerResponse> registryRoutes(
            BaseHandler base,
            CatalogHandler catalog,
            TagHandler tags,
            ManifestHandler manifests,
            BlobHandler blobs,
            UploadHandler uploads,
            ReferrersHandler referrers,
            ObjectProvider<RouteDecorator> decorators) {
        Map<RouteKind, Map<HttpMethod, RouteHandler>> table = new EnumMap<>(RouteKind.class);
        add(table, RouteKind.BASE, HttpMethod.GET, base::get);
        add(table, RouteKind.BASE, HttpMethod.HEAD, base::get);
        add(table, RouteKind.CATALOG, HttpMethod.GET, catalog::list);
        add(table, RouteKind.TAGS, HttpMethod.GET, tags::list);
        add(table, RouteKind.MANIFEST, HttpMethod.GET, manifests::get);
        add(table, RouteKind.MANIFEST, HttpMethod.HEAD, manifests::head);
        add(table, RouteKind.MANIFEST, HttpMethod.PUT, manifests::put);
        add(table, RouteKind.MANIFEST, HttpMethod.DELETE, manifests::delete);
        add(table, RouteKind.BLOB, HttpMethod.GET, blobs::get);
        add(table, RouteKind.BLOB, HttpMethod.HEAD, blobs::head);
        add(table, RouteKind.BLOB, HttpMethod.DELETE, blobs::delete);
        add(table, RouteKind.UPLOADS, HttpMethod.POST, uploads::start);
        add(table, RouteKind.UPLOAD, HttpMethod.GET, uploads::status);
        add(table, RouteKind.UPLOAD, HttpMethod.PATCH, uploads::patch);
        add(table, RouteKind.UPLOAD, HttpMethod.PUT, uploads::put);
        add(table, RouteKind.UPLOAD, HttpMethod.DELETE, uploads::cancel);
        add(table, RouteKind.REFERRERS, HttpMethod.GET, referrers::list);
        decorators
                .orderedStream()
                .forEach(decorator -> table.forEach((kind, methods) ->
                        methods.replaceAll((method, handler) -> decorator.decorate(kind, method, handler))));

        return RouterFunctions.route(
                RequestPredicates.path("/v2").or(RequestPredicates.path("/v2/**")),
                request -> dispatch(table, request));
    }

    private static Mono<ServerResponse> dispatch(
            Map<RouteKind, Map<HttpMethod, RouteHandler>> table, ServerRequest request) {
        return Mono.defer(() -> {
            RegistryRoute route = RegistryRoute.parse(
                    request.requestPath().pathWithinApplication().value(), request.method());
            RouteHandler handler = table.getOrDefault(route.kind(), Map.of()).get(request.method());
            if (handler == null) {
                return Mono.error(new RegistryException(
                                ErrorCode.UNSUPPORTED,
                                "method not allowed here",
                                request.method().name())
                        .withStatus(405));
            }
            request.attributes().put(ROUTE_ATTRIBUTE, route);
            return handler.handle(request, route);
        });
    }

    private static void add(
            Map<RouteKind, Map<HttpMethod, RouteHandler>> table,
            RouteKind kind,
            HttpMethod method,
            RouteHandler handler) {
        table.computeIfAbsent(kind, k -> new java.util.HashMap<>()).put(method, handler);
    }

    /** The route a request was dispatched with (for filters such as access control and audit logging). */
    public static RegistryRoute route(ServerRequest request) {
        return (RegistryRoute) request.attributes().get(ROUTE_ATTRIBUTE);
    }

    /** The route the exchange was dispatched with, or null when it never reached the route table. */
    public static RegistryRoute route(org.springframework.web.server.ServerWebExchange exchange) {
        return exchange.getAttribute(ROUTE_ATTRIBUTE);
    }
}
