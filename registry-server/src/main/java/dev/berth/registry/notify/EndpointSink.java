package dev.berth.registry.notify;

import dev.berth.oci.OciJson;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One endpoint's delivery: a bounded in-memory queue that {@link #offer} fills without ever blocking, and one
 * daemon thread that POSTs the queued events in envelopes of up to {@value #MAX_BATCH}, in order, retrying a
 * failed envelope until it is delivered (waiting {@code backoff}, doubled per failure up to
 * {@code max-backoff}). While the endpoint is down the queue fills and then drops its oldest events, counted
 * in {@link Stats#dropped()}. Events still queued when the process stops are lost.
 */
final class EndpointSink implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EndpointSink.class);
    static final int MAX_BATCH = 100;

    private final String name;
    private final NotificationProperties.Endpoint config;
    private final EndpointFilter filter;
    private final HttpClient client;
    private final Deque<Event> queue = new ArrayDeque<>();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failedAttempts = new AtomicLong();
    private final Thread thread;
    /** Events taken from the queue into the envelope being delivered; guarded by {@code queue}. */
    private int inFlight;

    private volatile boolean failing;
    private volatile boolean closed;

    /**
     * What an endpoint has done so far.
     *
     * @param name           the endpoint's name
     * @param pending        events queued or in the envelope being delivered
     * @param delivered      events delivered
     * @param dropped        events dropped from a full queue
     * @param failedAttempts delivery attempts that failed (timeouts, connection errors, status 400 and above)
     * @param failing        whether the last {@code threshold} attempts or more failed
     */
    public record Stats(
            String name, long pending, long delivered, long dropped, long failedAttempts, boolean failing) {}

    EndpointSink(NotificationProperties.Endpoint config) {
        if (config.getName() == null || config.getName().isBlank() || config.getUrl() == null) {
            throw new IllegalStateException("every berth.notifications endpoint needs a name and a url");
        }
        this.name = config.getName();
        this.config = config;
        this.filter = EndpointFilter.of(config);
        this.client = HttpClient.newBuilder()
                .connectTimeout(config.getTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.thread = new Thread(this::run, "berth-notify-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    String name() {
        return name;
    }

    /** Queues the event if this endpoint wants it; never blocks. */
    void offer(Event event) {
        if (!filter.accepts(event)) {
            return;
        }
        synchronized (queue) {
            if (queue.size() >= Math.max(1, config.getQueueSize())) {
                queue.pollFirst();
                dropped.incrementAndGet();
            }
            queue.addLast(event);
            queue.notifyAll();
        }
    }

    Stats stats() {
        long pending;
        synchronized (queue) {
            pending = queue.size() + inFlight;
        }
        return new Stats(name, pending, delivered.get(), dropped.get(), failedAttempts.get(), failing);
    }

    private void run() {
        while (!closed) {
            List<Event> batch;
            try {
                batch = take();
            } catch (InterruptedException e) {
                return;
            }
            try {
                deliver(batch);
            } catch (InterruptedException e) {
                return;
            } finally {
                synchronized (queue) {
                    inFlight = 0;
                }
            }
        }
    }

    private List<Event> take() throws InterruptedException {
        synchronized (queue) {
            while (queue.isEmpty()) {
                queue.wait();
            }
            List<Event> batch = new ArrayList<>(Math.min(queue.size(), MAX_BATCH));
            while (!queue.isEmpty() && batch.size() < MAX_BATCH) {
                batch.add(queue.pollFirst());
            }
            inFlight = batch.size();
            return batch;
        }
    }

    /** Sends one envelope until it is accepted or the sink closes. */
    private void deliver(List<Event> batch) throws InterruptedException {
        byte[] body = OciJson.mapper().writeValueAsBytes(new Event.Envelope(batch));
        int failures = 0;
        while (!closed) {
            String problem = attempt(body);
            if (problem == null) {
                delivered.addAndGet(batch.size());
                if (failing) {
                    log.info("notifications: endpoint {} recovered", name);
                    failing = false;
                }
                return;
            }
            failures++;
            failedAttempts.incrementAndGet();
            if (failures >= Math.max(1, config.getThreshold()) && !failing) {
                failing = true;
                log.warn("notifications: endpoint {} failing after {} attempts: {}", name, failures, problem);
            } else {
                log.debug("notifications: endpoint {} attempt {} failed: {}", name, failures, problem);
            }
            Thread.sleep(delay(failures).toMillis());
        }
    }

    /** Null when delivered, else why not. Any 2xx or 3xx status counts as delivered. */
    private String attempt(byte[] body) throws InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(config.getUrl())
                .timeout(config.getTimeout())
                .header("Content-Type", Event.ENVELOPE_MEDIA_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (Map.Entry<String, List<String>> header : config.getHeaders().entrySet()) {
            header.getValue().forEach(value -> request.header(header.getKey(), value));
        }
        try {
            HttpResponse<Void> response = client.send(request.build(), HttpResponse.BodyHandlers.discarding());
            int status = response.statusCode();
            return status >= 200 && status < 400 ? null : "status " + status;
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** {@code backoff} after the first failure, doubled per further failure, at most {@code max-backoff}. */
    Duration delay(int failures) {
        Duration max = config.getMaxBackoff();
        Duration delay = config.getBackoff();
        for (int i = 1; i < failures && delay.compareTo(max) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(max) > 0 ? max : delay;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
