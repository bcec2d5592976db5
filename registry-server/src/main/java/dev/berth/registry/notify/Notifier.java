package dev.berth.registry.notify;

import dev.berth.registry.security.ClientAddress;
import dev.berth.registry.security.RegistryAuthentication;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.server.ServerWebExchange;

/**
 * Builds events from the request that caused them and hands each to every endpoint whose filters accept it.
 * Publishing only copies a few request fields and appends to in-memory queues: it costs a request nothing
 * measurable, whatever the endpoints do.
 */
public final class Notifier implements RegistryEvents, AutoCloseable {
    private final List<EndpointSink> sinks;
    private final Event.Source source;

    public Notifier(List<NotificationProperties.Endpoint> endpoints, String sourceAddr) {
        List<EndpointSink> created = new ArrayList<>();
        try {
            for (NotificationProperties.Endpoint endpoint : endpoints) {
                created.add(new EndpointSink(endpoint));
            }
        } catch (RuntimeException e) {
            created.forEach(EndpointSink::close);
            throw e;
        }
        this.sinks = List.copyOf(created);
        this.source = new Event.Source(sourceAddr, UUID.randomUUID().toString());
    }

    @Override
    public void publish(ServerRequest request, Action action, Event.Target target) {
        ServerWebExchange exchange = request.exchange();
        HttpHeaders headers = request.headers().asHttpHeaders();
        String host = headers.getFirst(HttpHeaders.HOST);
        Event.Target addressed = target.withUrl(url(request, host, target));
        if (action == Action.MOUNT) {
            addressed = addressed.withFromRepository(request.queryParam("from").orElse(null));
        }
        Object user = exchange.getAttribute(RegistryAuthentication.USER_ATTRIBUTE);
        String name = user == null || user.toString().isEmpty() ? null : user.toString();
        Event event = new Event(
                UUID.randomUUID().toString(),
                Instant.now().toString(),
                action.id(),
                addressed,
                new Event.Request(
                        exchange.getRequest().getId(),
                        ClientAddress.of(exchange),
                        host,
                        request.method().name(),
                        headers.getFirst(HttpHeaders.USER_AGENT)),
                new Event.Actor(name),
                source);
        for (EndpointSink sink : sinks) {
            sink.offer(event);
        }
    }

    /** Per endpoint: pending, delivered, dropped and failed counts (for metrics). */
    public List<EndpointSink.Stats> stats() {
        return sinks.stream().map(EndpointSink::stats).toList();
    }

    /** Where the target's content is fetched: its manifest or blob URL on the host the client addressed. */
    private static String url(ServerRequest request, String host, Event.Target target) {
        if (target.digest() == null) {
            return null;
        }
        URI uri = request.uri();
        String authority = host != null ? host : uri.getRawAuthority();
        return uri.getScheme() + "://" + authority + "/v2/" + target.repository()
                + (target.blob() ? "/blobs/" : "/manifests/") + target.digest();
    }

    @Override
    public void close() {
        sinks.forEach(EndpointSink::close);
    }
}
