package dev.berth.registry.notify;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.oci.OciJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import tools.jackson.databind.JsonNode;

/**
 * A webhook receiver on a JDK {@link HttpServer}: records every envelope it accepts, and can fail the first
 * requests ({@link #failFirst}) or hang every request until {@link #close} ({@link #hang}).
 */
final class Receiver implements AutoCloseable {
    private final HttpServer server;
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();
    private final List<String> contentTypes = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile int failFirst;
    private volatile boolean hang;

    Receiver() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/events", this::handle);
        server.start();
    }

    Receiver failFirst(int n) {
        failFirst = n;
        return this;
    }

    Receiver hang() {
        hang = true;
        return this;
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/events";
    }

    int requests() {
        return requests.get();
    }

    List<String> contentTypes() {
        return contentTypes;
    }

    /** The events received so far that match {@code filter}. */
    List<JsonNode> events(Predicate<JsonNode> filter) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : events) {
            if (filter.test(e)) {
                out.add(e);
            }
        }
        return out;
    }

    /** Waits up to {@code timeout} for an event matching {@code filter}; null when none came. */
    JsonNode await(Predicate<JsonNode> filter, Duration timeout) {
        try {
            return Awaitility.await()
                    .atMost(timeout)
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> events(filter), found -> !found.isEmpty())
                    .get(0);
        } catch (ConditionTimeoutException none) {
            return null;
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        int n = requests.incrementAndGet();
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        if (hang) {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (n <= failFirst) {
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
            return;
        }
        contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
        OciJson.mapper().readTree(body).path("events").forEach(events::add);
        exchange.sendResponseHeaders(202, -1);
        exchange.close();
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
    }
}
