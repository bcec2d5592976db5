package dev.berth.puller.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.oci.Digest;
import dev.berth.oci.ImageReference;
import dev.berth.oci.OciJson;
import dev.berth.oci.Platform;
import dev.berth.puller.pull.LayerUnpacker;
import dev.berth.puller.pull.PullListener;
import dev.berth.puller.pull.PullOptions;
import dev.berth.puller.pull.PullResult;
import dev.berth.puller.pull.Puller;
import dev.berth.puller.registry.Backoff;
import dev.berth.puller.registry.DockerConfigCredentials;
import dev.berth.puller.registry.ImageResolver;
import dev.berth.puller.registry.Registries;
import dev.berth.puller.registry.TransportOptions;
import dev.berth.puller.snapshot.MissingLayers;
import dev.berth.puller.snapshot.SnapshotterServer;
import dev.berth.puller.store.Eviction;
import dev.berth.puller.store.ImageRecord;
import dev.berth.puller.store.LayerInfo;
import dev.berth.puller.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import tools.jackson.databind.JsonNode;

/**
 * The node agent: keeps a list of images pulled, re-resolving their tags every refresh interval and
 * immediately when a registry notification says a matching tag was pushed; keeps the layer store within a
 * disk budget by evicting least-recently-used layers that no listed image needs; serves {@code /healthz},
 * {@code /metrics} and {@code POST /events}; with a {@code snapshotter:} section it also serves containerd's
 * snapshots API on the same store, so a node runs one daemon. All state is in the store, so a restarted agent carries on
 * where it stopped, and a registry outage only delays pulls (each image backs off on its own).
 */
public final class NodeAgent implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NodeAgent.class.getName());
    private static final int MAX_EVENT_BODY = 1 << 20;

    private final AgentConfig config;
    private final Store store;
    private final Puller puller;
    private final AgentMetrics metrics = new AgentMetrics();
    private final HttpServer http;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService pullers;
    private final Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5), Integer.MAX_VALUE);
    /** Per image: consecutive failures and when the next attempt may start. */
    private final Map<String, Failure> failures = new ConcurrentHashMap<>();
    /** Images being pulled now, and those asked for again while being pulled. */
    private final Set<String> running = ConcurrentHashMap.newKeySet();

    private final Set<String> again = ConcurrentHashMap.newKeySet();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
    private SnapshotterServer snapshotter;

    /** When each configured image was last pulled successfully (by this agent). */
    private final Map<String, Instant> lastSuccess = new ConcurrentHashMap<>();

    private record Failure(int count, Instant notBefore, String message) {}

    private NodeAgent(AgentConfig config) throws IOException {
        this.config = config;
        this.store = Store.open(config.root());
        TransportOptions transport = TransportOptions.defaults()
                .withPlainHttp(config.plainHttp())
                .withInsecure(config.insecure())
                .withCaFile(config.caFile());
        Platform platform =
                config.platform() == null ? ImageResolver.hostPlatform() : Platform.parse(config.platform());
        this.puller = new Puller(
                store,
                new Registries(transport, DockerConfigCredentials.load()),
                LayerUnpacker.unionFs(),
                PullOptions.defaults().withPlatform(platform).withParallel(config.parallel()));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("agent-scheduler"));
        this.pullers = Executors.newFixedThreadPool(config.concurrency(), daemon("agent-pull"));
        this.http = HttpServer.create(new InetSocketAddress(config.listenHost(), config.listenPort()), 16);
        http.setExecutor(Executors.newFixedThreadPool(2, daemon("agent-http")));
        http.createContext("/healthz", this::health);
        http.createContext("/readyz", this::ready);
        http.createContext("/metrics", this::metrics);
        http.createContext("/events", this::events);
        metrics.gauge("berth_agent_images_configured", () -> config.images().size());
        for (ImageReference ref : config.images()) {
            String image = AgentMetrics.label("image", ref.toString());
            metrics.gauge("berth_agent_image_present{" + image + "}", () -> present(ref) ? 1 : 0);
            metrics.gauge(
                    "berth_agent_image_last_pull_timestamp_seconds{" + image + "}",
                    () -> lastSuccess
                            .getOrDefault(ref.toString(), Instant.EPOCH)
                            .getEpochSecond());
            metrics.inc("berth_agent_image_pull_failures_total", image, 0);
        }
        metrics.gauge("berth_agent_store_bytes", () -> {
            try {
                return store.diskUsage();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Starts serving and schedules the first refresh right away. */
    public static NodeAgent start(AgentConfig config) throws IOException {
        NodeAgent agent = new NodeAgent(config);
        if (config.snapshotter() != null) {
            MissingLayers missing =
                    config.pullMissing() ? MissingLayers.pulling(agent.store, agent.puller) : MissingLayers.NONE;
            agent.snapshotter = SnapshotterServer.start(agent.store, config.snapshotter(), missing);
        }
        agent.http.start();
        agent.scheduler.scheduleWithFixedDelay(
                agent::refreshAll, 0, config.refreshInterval().toMillis(), TimeUnit.MILLISECONDS);
        LOG.info(() -> "berth agent on port " + agent.port() + ", keeping "
                + config.images().size() + " images");
        return agent;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    public Store store() {
        return store;
    }

    /** One round: pull every listed image that is not backing off, wait for them, then enforce the budget. */
    void refreshAll() {
        try {
            List<java.util.concurrent.Future<?>> round = new ArrayList<>();
            for (ImageReference ref : config.images()) {
                Failure f = failures.get(ref.toString());
                if (f != null && Instant.now().isBefore(f.notBefore())) {
                    continue;
                }
                round.add(pullers.submit(() -> pullNow(ref)));
            }
            for (var future : round) {
                future.get();
            }
            enforceBudget();
            metrics.refreshed();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "refresh failed", e);
        }
    }

    /** Pulls one image; concurrent requests for the same image collapse into one more pull afterwards. */
    void pullNow(ImageReference ref) {
        String key = ref.toString();
        if (!running.add(key)) {
            again.add(key);
            return;
        }
        try {
            do {
                again.remove(key);
                pullOnce(ref);
            } while (again.contains(key));
        } finally {
            running.remove(key);
        }
    }

    private void pullOnce(ImageReference ref) {
        String key = ref.toString();
        try {
            PullResult r = puller.pull(ref, PullListener.NONE);
            metrics.inc("berth_agent_pulls_total", "result=\"success\"", 1);
            metrics.inc("berth_agent_layers_fetched_total", null, r.layersFetched());
            metrics.inc("berth_agent_bytes_fetched_total", null, r.bytesFetched());
            failures.remove(key);
            lastSuccess.put(key, Instant.now());
            if (r.layersFetched() > 0) {
                LOG.info(() ->
                        "pulled " + key + " " + r.image().manifestDigest() + ": " + r.layersFetched() + " layers");
            }
        } catch (Exception e) {
            metrics.inc("berth_agent_pulls_total", "result=\"failure\"", 1);
            metrics.inc("berth_agent_image_pull_failures_total", AgentMetrics.label("image", key), 1);
            Failure previous = failures.get(key);
            int count = previous == null ? 1 : previous.count() + 1;
            failures.put(key, new Failure(count, Instant.now().plus(backoff.delay(count)), e.getMessage()));
            LOG.warning(() -> "pull of " + key + " failed (attempt " + count + "): " + e.getMessage());
        }
    }

    private void enforceBudget() throws IOException {
        if (config.diskBudget() <= 0) {
            return;
        }
        Set<Digest> keep = new HashSet<>();
        for (ImageReference ref : config.images()) {
            store.images().get(ref.toString()).ifPresent(r -> keep.addAll(r.chainIds()));
        }
        List<Eviction> evicted = store.evict(config.diskBudget(), keep);
        for (Eviction e : evicted) {
            LayerInfo l = e.layer();
            LOG.info(() -> "evicted layer " + l.chainId() + " (blob " + l.blob() + "), freeing " + l.diskSize()
                    + " bytes: " + e.reason().description()
                    + (e.images().isEmpty() ? "" : "; removed image records " + String.join(", ", e.images())));
        }
        metrics.inc("berth_agent_layers_evicted_total", null, evicted.size());
    }

    private void health(HttpExchange ex) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "ok");
        Map<String, Object> images = new LinkedHashMap<>();
        for (ImageReference ref : config.images()) {
            Map<String, Object> s = new LinkedHashMap<>();
            ImageRecord r = store.images().get(ref.toString()).orElse(null);
            s.put("pulled", r != null);
            if (r != null) {
                s.put("digest", r.manifestDigest().toString());
            }
            Failure f = failures.get(ref.toString());
            if (f != null) {
                s.put("failures", f.count());
                s.put("lastError", f.message());
            }
            images.put(ref.toString(), s);
        }
        body.put("images", images);
        // Healthy means serving and able to read the store; registry trouble shows per image, not as a 500.
        respond(ex, 200, "application/json", OciJson.mapper().writeValueAsBytes(body));
    }

    /** Ready once every configured image is in the store with all its layers; 503 names the missing ones. */
    private void ready(HttpExchange ex) throws IOException {
        List<String> missing = config.images().stream()
                .filter(ref -> !present(ref))
                .map(Object::toString)
                .toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", missing.isEmpty());
        body.put("missing", missing);
        respond(
                ex,
                missing.isEmpty() ? 200 : 503,
                "application/json",
                OciJson.mapper().writeValueAsBytes(body));
    }

    /** The image has a record and its top layer (so every layer below it) is committed. */
    private boolean present(ImageReference ref) {
        try {
            return store.images()
                    .get(ref.toString())
                    .map(r -> r.layers().isEmpty() || store.layers().exists(r.topChainId()))
                    .orElse(false);
        } catch (IOException e) {
            return false;
        }
    }

    private void metrics(HttpExchange ex) throws IOException {
        respond(
                ex,
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                metrics.render().getBytes(StandardCharsets.UTF_8));
    }

    /** The distribution registry's notification envelope; push events of listed repositories and tags re-pull. */
    private void events(HttpExchange ex) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            ex.getResponseHeaders().add("Allow", "POST");
            respond(ex, 405, "text/plain", "POST only\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        JsonNode envelope;
        try (InputStream in = ex.getRequestBody()) {
            envelope = OciJson.mapper().readTree(in.readNBytes(MAX_EVENT_BODY));
        } catch (RuntimeException e) {
            metrics.inc("berth_agent_events_total", "outcome=\"invalid\"", 1);
            respond(ex, 400, "text/plain", "invalid JSON\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        Set<ImageReference> matched = new HashSet<>();
        for (JsonNode event : envelope.path("events")) {
            EventMatch m = match(event);
            metrics.inc(
                    "berth_agent_events_total",
                    m.images().isEmpty() ? "outcome=\"ignored\"" : "outcome=\"matched\"",
                    1);
            if (m.images().isEmpty()) {
                LOG.info(() -> "ignored registry event " + event.path("id").asString("") + " ("
                        + event.path("action").asString("?") + " "
                        + event.path("target").path("repository").asString("?")
                        + "): " + m.reason());
            }
            matched.addAll(m.images());
        }
        for (ImageReference ref : matched) {
            // An event is a hint: pull now even if the image is backing off.
            failures.remove(ref.toString());
            pullers.submit(() -> {
                pullNow(ref);
                try {
                    enforceBudget();
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "eviction failed", e);
                }
            });
        }
        respond(ex, 202, "application/json", ("{\"matched\":" + matched.size() + "}").getBytes(StandardCharsets.UTF_8));
    }

    /** The configured images an event concerns, or none and why. */
    private record EventMatch(List<ImageReference> images, String reason) {}

    /**
     * Matches a push to configured images by repository and tag or digest. The registry's host is not compared:
     * the event carries whatever Host the pusher used ({@code localhost:5000}, a DNS alias, a load balancer),
     * rarely the name the agent pulls from. At worst an image of the same repository on another registry is
     * re-resolved, which costs one manifest request.
     */
    private EventMatch match(JsonNode event) {
        String action = event.path("action").asString("");
        if (!"push".equals(action)) {
            return new EventMatch(List.of(), "action '" + action + "' is not a push");
        }
        JsonNode target = event.path("target");
        String repo = target.path("repository").asString("");
        String tag = target.path("tag").asString("");
        String digest = target.path("digest").asString("");
        List<ImageReference> sameRepo = config.images().stream()
                .filter(ref -> ref.repository().equals(repo))
                .toList();
        if (sameRepo.isEmpty()) {
            return new EventMatch(List.of(), "repository '" + repo + "' is not configured");
        }
        List<ImageReference> hits = sameRepo.stream()
                .filter(ref -> ref.digest() != null
                        ? ref.digest().toString().equals(digest)
                        : !tag.isEmpty() && tag.equals(ref.tag()))
                .toList();
        if (hits.isEmpty()) {
            return new EventMatch(
                    List.of(),
                    (tag.isEmpty() ? "digest " + digest : "tag '" + tag + "'") + " is not configured for " + repo);
        }
        List<ImageReference> stale =
                hits.stream().filter(ref -> !alreadyAt(ref, digest)).toList();
        return stale.isEmpty() ? new EventMatch(List.of(), "already pulled at " + digest) : new EventMatch(stale, "");
    }

    /** The image's record has this manifest (or index) digest and its layers are in the store. */
    private boolean alreadyAt(ImageReference ref, String digest) {
        try {
            return !digest.isEmpty()
                    && present(ref)
                    && store.images()
                            .get(ref.toString())
                            .map(r -> r.manifestDigest().toString().equals(digest)
                                    || (r.indexDigest() != null
                                            && r.indexDigest().toString().equals(digest)))
                            .orElse(false);
        } catch (IOException e) {
            return false;
        }
    }

    private static void respond(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /** Blocks until {@link #close}. */
    public void awaitTermination() throws InterruptedException {
        stopped.await();
    }

    /**
     * SIGTERM and SIGINT close the agent instead of exiting the JVM at once, so {@link #awaitTermination} returns
     * and the command exits 0 after a clean shutdown (the JVM's own exit on SIGTERM is 143, which systemd counts
     * as a failure).
     */
    public void closeOnSignals() {
        for (String name : List.of("TERM", "INT")) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                LOG.info(() -> "SIG" + name + ": shutting down");
                close();
            });
        }
    }

    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        if (snapshotter != null) {
            snapshotter.close();
        }
        http.stop(0);
        scheduler.shutdownNow();
        pullers.shutdownNow();
        try {
            pullers.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (http.getExecutor() instanceof ExecutorService es) {
            es.shutdownNow();
        }
        stopped.countDown();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
