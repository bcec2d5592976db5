package dev.berth.registry.maintenance;

import dev.berth.oci.ErrorCode;
import dev.berth.registry.http.RegistryException;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Refuses writes ({@code POST}, {@code PATCH}, {@code PUT}, {@code DELETE}) under {@code /v2} while
 * {@link ReadOnlyMode} is on, with the spec error {@code UNSUPPORTED} (405) written by the registry's error
 * handler. Ordered after the security chain, so a client without credentials still learns that first.
 */
public final class ReadOnlyWebFilter implements WebFilter, Ordered {
    static final String MESSAGE = "the registry is in read-only mode";

    private final ReadOnlyMode mode;

    public ReadOnlyWebFilter(ReadOnlyMode mode) {
        this.mode = mode;
    }

    @Override
    public int getOrder() {
        return 0;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (mode.isOn()
                && isWrite(exchange.getRequest().getMethod())
                && isRegistryApi(
                        exchange.getRequest().getPath().pathWithinApplication().value())) {
            return Mono.error(new RegistryException(
                    ErrorCode.UNSUPPORTED,
                    MESSAGE,
                    exchange.getRequest().getMethod().name()));
        }
        return chain.filter(exchange);
    }

    static boolean isWrite(HttpMethod method) {
        return HttpMethod.POST.equals(method)
                || HttpMethod.PUT.equals(method)
                || HttpMethod.PATCH.equals(method)
                || HttpMethod.DELETE.equals(method);
    }

    private static boolean isRegistryApi(String path) {
        return path.equals("/v2") || path.startsWith("/v2/");
    }
}
