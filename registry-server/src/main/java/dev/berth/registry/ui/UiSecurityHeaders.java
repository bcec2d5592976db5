package dev.berth.registry.ui;

import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Security headers on everything under {@code /ui}, refusals included: a Content-Security-Policy that allows
 * scripts, styles and requests from this origin only (no inline script, no eval, no plugins, no framing),
 * {@code nosniff}, no referrer, and no caching of the (per-user) JSON answers.
 */
final class UiSecurityHeaders implements WebFilter, Ordered {
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
            + "form-action 'self'; frame-ancestors 'none'; object-src 'none'";

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        if (path.equals("/ui") || path.startsWith("/ui/")) {
            HttpHeaders headers = exchange.getResponse().getHeaders();
            headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
            headers.set("X-Content-Type-Options", "nosniff");
            headers.set("X-Frame-Options", "DENY");
            headers.set("Referrer-Policy", "no-referrer");
            headers.set(HttpHeaders.CACHE_CONTROL, path.startsWith("/ui/api/") ? "no-store" : "no-cache");
        }
        return chain.filter(exchange);
    }

    /** Before the security chain, so that its 401s carry the headers too. */
    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 10;
    }
}
