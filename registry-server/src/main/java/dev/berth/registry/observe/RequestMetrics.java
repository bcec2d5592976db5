package dev.berth.registry.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Set;

/**
 * Request metrics, tagged only with bounded values (route kind, method, status; never repository names or
 * paths):
 *
 * <ul>
 *   <li>{@code berth.requests} (timer; Prometheus {@code berth_requests_seconds_*}): by {@code route},
 *       {@code method}, {@code status} ({@code aborted} when the client went away);</li>
 *   <li>{@code berth.received} and {@code berth.sent} (bytes; {@code berth_received_bytes_total},
 *       {@code berth_sent_bytes_total}): body bytes by {@code route}.</li>
 * </ul>
 */
public final class RequestMetrics implements ExchangeListener {
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

    private final MeterRegistry registry;

    public RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void finished(ExchangeRecord exchange) {
        String method = METHODS.contains(exchange.method()) ? exchange.method() : "OTHER";
        String status = exchange.aborted() ? "aborted" : Integer.toString(exchange.status());
        Timer.builder("berth.requests")
                .description("Requests by route kind, method and status")
                .tags("route", exchange.route(), "method", method, "status", status)
                .register(registry)
                .record(exchange.duration());
        if (exchange.bytesIn() > 0) {
            bytes("berth.received", "Request body bytes received", exchange.route())
                    .increment(exchange.bytesIn());
        }
        if (exchange.bytesOut() > 0) {
            bytes("berth.sent", "Response body bytes sent", exchange.route()).increment(exchange.bytesOut());
        }
    }

    private Counter bytes(String name, String description, String route) {
        return Counter.builder(name)
                .description(description)
                .baseUnit("bytes")
                .tag("route", route)
                .register(registry);
    }
}
