package dev.berth.registry.observe;

import dev.berth.registry.http.RegistryErrorHandler;
import dev.berth.registry.http.RegistryException;
import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.http.RegistryRouter;
import dev.berth.registry.security.ClientAddress;
import dev.berth.registry.security.RegistryAuthentication;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * The outermost filter: counts body bytes ({@link CountingExchange}), times the request and, once the response
 * has ended, hands an {@link ExchangeRecord} to every {@link ExchangeListener} (metrics, access log).
 *
 * <p>Failures are turned into responses here, by the {@link RegistryErrorHandler} that would otherwise do it
 * after every filter has finished, so that the record carries the status the client actually got.
 */
public final class ObservingWebFilter implements WebFilter, Ordered {
    private static final Logger log = LoggerFactory.getLogger(ObservingWebFilter.class);

    private final List<ExchangeListener> listeners;
    private final RegistryErrorHandler errors;
    private final String actuatorBasePath;

    public ObservingWebFilter(List<ExchangeListener> listeners, RegistryErrorHandler errors, String actuatorBasePath) {
        this.listeners = List.copyOf(listeners);
        this.errors = errors;
        this.actuatorBasePath = actuatorBasePath;
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange original, WebFilterChain chain) {
        if (listeners.isEmpty()) {
            return chain.filter(original);
        }
        long start = System.nanoTime();
        CountingExchange counting = new CountingExchange(original);
        ServerWebExchange exchange = counting.exchange;
        AtomicBoolean published = new AtomicBoolean();
        return chain.filter(exchange)
                .onErrorResume(e -> errors.handle(exchange, e))
                .doFinally(signal -> {
                    if (!published.getAndSet(true)) {
                        publish(exchange, counting, signal, Duration.ofNanos(System.nanoTime() - start));
                    }
                });
    }

    private void publish(ServerWebExchange exchange, CountingExchange counting, SignalType signal, Duration took) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        String route;
        String repository = null;
        if (path.equals("/v2") || path.startsWith("/v2/")) {
            RegistryRoute parsed = RegistryRouter.route(exchange);
            if (parsed == null) {
                try {
                    parsed = RegistryRoute.parse(path);
                } catch (RegistryException e) {
                    // not part of the API
                }
            }
            route = parsed == null ? "INVALID" : parsed.kind().name();
            repository = parsed == null ? null : parsed.name();
        } else if (path.equals("/admin") || path.startsWith("/admin/")) {
            route = "ADMIN";
        } else if (path.equals(actuatorBasePath) || path.startsWith(actuatorBasePath + "/")) {
            route = "ACTUATOR";
        } else {
            route = "OTHER";
        }
        HttpStatusCode status = exchange.getResponse().getStatusCode();
        Object user = exchange.getAttributes().get(RegistryAuthentication.USER_ATTRIBUTE);
        ExchangeRecord record = new ExchangeRecord(
                exchange.getRequest().getMethod().name(),
                path,
                route,
                repository,
                status == null ? 0 : status.value(),
                signal != SignalType.ON_COMPLETE,
                counting.bytesIn.get(),
                counting.bytesOut.get(),
                took,
                ClientAddress.of(exchange),
                exchange.getRequest().getHeaders().getFirst(HttpHeaders.USER_AGENT),
                user == null || user.toString().isEmpty() ? null : user.toString());
        for (ExchangeListener listener : listeners) {
            try {
                listener.finished(record);
            } catch (RuntimeException e) {
                log.warn("exchange listener {} failed: {}", listener.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
