package dev.berth.registry.proxy;

import dev.berth.registry.http.RegistryException;
import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.manifest.Catalog;
import dev.berth.registry.storage.Blocking;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Turns the two implicit mirror conventions into the explicit one, before access control sees the request:
 * containerd's {@code /v2/<name>/...?ns=<upstream name>} and, for reads of a name no local repository has,
 * dockerd's unprefixed {@code /v2/<name>/...} (the default upstream) become {@code /v2/<prefix>/<name>/...}.
 * From here on every part of Berth (access rules, the route table, logs, metrics) sees one name per cached
 * repository, the one it is stored under.
 */
final class MirrorNameFilter implements WebFilter, Ordered {
    /** Before Spring Security's chain (-100), so access rules apply to the cached repository's name. */
    static final int ORDER = -150;

    private final Upstreams upstreams;
    private final Catalog catalog;
    private final Blocking blocking;

    MirrorNameFilter(Upstreams upstreams, Catalog catalog, Blocking blocking) {
        this.upstreams = upstreams;
        this.catalog = catalog;
        this.blocking = blocking;
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        String path = request.getPath().pathWithinApplication().value();
        if (!path.startsWith("/v2/")) {
            return chain.filter(exchange);
        }
        RegistryRoute route;
        try {
            route = RegistryRoute.parse(path);
        } catch (RegistryException e) {
            return chain.filter(exchange); // the router answers it
        }
        if (route.name() == null || upstreams.isProxied(route.name())) {
            return chain.filter(exchange);
        }
        String ns = request.getQueryParams().getFirst("ns");
        if (ns != null) {
            var target = upstreams.byNamespace(ns);
            if (target.isPresent()) {
                return chain.filter(under(exchange, path, target.get().prefix()));
            }
        }
        boolean read = HttpMethod.GET.equals(request.getMethod()) || HttpMethod.HEAD.equals(request.getMethod());
        var fallback = upstreams.fallback();
        if (!read || fallback.isEmpty()) {
            return chain.filter(exchange);
        }
        // Local repositories come first: only a name no local repository has goes to the default upstream.
        return blocking.call(() -> catalog.exists(route.name()))
                .flatMap(local -> chain.filter(
                        local ? exchange : under(exchange, path, fallback.get().prefix())));
    }

    private static ServerWebExchange under(ServerWebExchange exchange, String path, String prefix) {
        String contextPath = exchange.getRequest().getPath().contextPath().value();
        String rewritten = contextPath + "/v2/" + prefix + "/" + path.substring("/v2/".length());
        return exchange.mutate().request(r -> r.path(rewritten)).build();
    }
}
