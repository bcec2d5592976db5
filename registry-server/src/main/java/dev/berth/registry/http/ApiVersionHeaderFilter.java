package dev.berth.registry.http;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Every response under {@code /v2} says which API it speaks: docker and other clients check
 * {@code Docker-Distribution-API-Version: registry/2.0} on {@code GET /v2/} (and on 401s) to recognise a registry.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
public class ApiVersionHeaderFilter implements WebFilter {
    public static final String HEADER = "Docker-Distribution-API-Version";
    public static final String VALUE = "registry/2.0";

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        if (path.equals("/v2") || path.startsWith("/v2/")) {
            exchange.getResponse().getHeaders().set(HEADER, VALUE);
        }
        return chain.filter(exchange);
    }
}
