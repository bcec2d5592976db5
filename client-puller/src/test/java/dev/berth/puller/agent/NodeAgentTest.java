package dev.berth.puller.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.oci.Digest;
import dev.berth.oci.ImageReference;
import dev.berth.puller.pull.LayerUnpacker;
import dev.berth.puller.pull.PullListener;
import dev.berth.puller.pull.PullOptions;
import dev.berth.puller.pull.Puller;
import dev.berth.puller.registry.CredentialStore;
import dev.berth.puller.registry.Registries;
import dev.berth.puller.registry.TransportOptions;
import dev.berth.puller.snapshot.api.PrepareSnapshotRequest;
import dev.berth.puller.snapshot.api.SnapshotsGrpc;
import dev.berth.puller.snapshot.api.SnapshotsGrpc.SnapshotsBlockingStub;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.store.Store;
import dev.berth.puller.testing.TestImages;
import dev.berth.puller.testing.TestProxy;
import dev.berth.puller.testing.TestRegistry;
import dev.berth.puller.testing.UnixChannels;
import io.grpc.Status;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The node agent against a real registry: initial pull, health, metrics, webhook re-pull, eviction. */
class NodeAgentTest {
    private static Path work;
    private static TestRegistry registry;
    private static TestImages images;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        work = Files.createTempDirectory("berth-agent-test");
        registry = TestRegistry.start(work.resolve("registry"));
        images = TestImages.build(work.resolve("layout"));
        registry.push(images.layout.dir(), "base", "agent/img:moving");
        registry.push(images.layout.dir(), "big", "agent/other:big");
    }

    @AfterAll
    static void stop() throws IOException {
        if (registry != null) {
            registry.close();
        }
        FsUtil.deleteTree(work);
    }

    @Test
    void keepsImagesPulledAndReactsToPushEvents() throws Exception {
        Path root = work.resolve("root");
        // An unlisted image already on the node: its own layer is fair game for eviction.
        Store store = Store.open(root);
        new Puller(
                        store,
                        new Registries(TransportOptions.defaults().withPlainHttp(true), CredentialStore.anonymous()),
                        LayerUnpacker.unionFs(),
                        PullOptions.defaults().withPlatform(TestImages.AMD64))
                .pull(ImageReference.parse(registry.host() + "/agent/other:big"), PullListener.NONE);
        assertThat(store.layers().list()).hasSize(2);

        Path cfg = work.resolve("agent.yml");
        String ref = registry.host() + "/agent/img:moving";
        Files.writeString(cfg, """
                root: %s
                images:
                  - %s
                refreshInterval: 1h
                concurrency: 2
                diskBudget: 1KiB
                listen: 127.0.0.1:0
                platform: linux/amd64
                plainHttp: true
                """.formatted(root, ref));
        try (LogCapture log = new LogCapture();
                NodeAgent agent = NodeAgent.start(AgentConfig.load(cfg))) {
            String base = "http://127.0.0.1:" + agent.port();
            await(() -> images(agent).stream()
                    .anyMatch(r -> r.reference().equals(ref)
                            && get(base + "/metrics").contains("berth_agent_layers_evicted_total 1")));
            var first = agent.store().images().get(ref).orElseThrow();
            assertThat(first.layers()).hasSize(1);

            HttpResponse<String> health = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"pulled\":true");
            String metrics = get(base + "/metrics");
            assertThat(metrics)
                    .contains("# TYPE berth_agent_pulls_total counter")
                    .contains("berth_agent_pulls_total{result=\"success\"} 1")
                    .contains("berth_agent_images_configured 1")
                    .contains("berth_agent_image_present{image=\"" + ref + "\"} 1")
                    .contains("berth_agent_image_pull_failures_total{image=\"" + ref + "\"} 0")
                    .containsOnlyOnce("# TYPE berth_agent_image_present gauge")
                    .doesNotContain("berth_agent_image_last_pull_timestamp_seconds{image=\"" + ref + "\"} 0\n");
            assertThat(status(base + "/readyz")).isEqualTo(200);
            // The eviction says what went, why and what it freed; the unlisted image's record went with it.
            assertThat(log.lines())
                    .anySatisfy(line -> assertThat(line)
                            .startsWith("evicted layer ")
                            .contains("freeing ")
                            .contains("least recently used while the store was over its disk budget")
                            .contains("removed image records " + registry.host() + "/agent/other:big"));
            // The budget evicted the unlisted image's own layer (and its record), never the listed base.
            assertThat(agent.store().images().list()).hasSize(1);
            assertThat(agent.store().layers().list())
                    .extracting(l -> l.chainId())
                    .containsExactly(first.topChainId());

            // The tag moves; the registry tells the agent, naming itself by another host than the config does
            // (as behind a DNS alias or a load balancer).
            registry.push(images.layout.dir(), "app", "agent/img:moving");
            String envelope = """
                    {"events":[
                      {"action":"pull","target":{"repository":"agent/img","tag":"moving"},"request":{"host":"%1$s"}},
                      {"action":"push","target":{"repository":"agent/img","tag":"other","digest":"sha256:00"},"request":{"host":"%1$s"}},
                      {"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json",
                        "repository":"agent/img","tag":"moving","digest":"sha256:11"},"request":{"host":"%1$s"}}
                    ]}""".formatted("localhost:" + registry.port());
            HttpResponse<String> posted = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/events"))
                            .header("Content-Type", "application/vnd.docker.distribution.events.v1+json")
                            .POST(HttpRequest.BodyPublishers.ofString(envelope))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(posted.statusCode()).isEqualTo(202);
            assertThat(posted.body()).isEqualTo("{\"matched\":1}");
            await(() -> images(agent).stream()
                    .anyMatch(r -> r.reference().equals(ref) && r.layers().size() == 3));
            assertThat(get(base + "/metrics"))
                    .contains("berth_agent_pulls_total{result=\"success\"} 2")
                    .contains("berth_agent_events_total{outcome=\"matched\"} 1");
            assertThat(log.lines())
                    .anySatisfy(line -> assertThat(line)
                            .startsWith("ignored registry event")
                            .endsWith("action 'pull' is not a push"));
            assertThat(log.lines())
                    .anySatisfy(line -> assertThat(line)
                            .startsWith("ignored registry event")
                            .endsWith("tag 'other' is not configured for agent/img"));
        }

        // A restarted agent finds everything in the store: nothing to download.
        Files.writeString(cfg, Files.readString(cfg).replace("diskBudget: 1KiB", "diskBudget: 0"));
        try (NodeAgent again = NodeAgent.start(AgentConfig.load(cfg))) {
            String base = "http://127.0.0.1:" + again.port();
            await(() -> get(base + "/metrics").contains("berth_agent_pulls_total{result=\"success\"} 1"));
            assertThat(get(base + "/metrics")).contains("berth_agent_layers_fetched_total 0");
        }
    }

    private static java.util.List<dev.berth.puller.store.ImageRecord> images(NodeAgent agent) {
        try {
            return agent.store().images().list();
        } catch (IOException e) {
            return java.util.List.of();
        }
    }

    @Test
    void twoImagesNeedingOneLayerDownloadItOnce() throws Exception {
        registry.push(images.layout.dir(), "base", "agent/shared:base");
        registry.push(images.layout.dir(), "big", "agent/shared:big");
        String baseBlob = "/blobs/" + Digest.sha256(images.baseLayer.blob());
        String bigBlob = "/blobs/" + Digest.sha256(images.bigLayer.blob());
        try (TestProxy proxy = new TestProxy(registry.host())) {
            // Whichever pull gets the shared base layer first is held inside it until the other pull is past its
            // own "already stored?" check and downloading its other layer.
            CountDownLatch release = new CountDownLatch(1);
            proxy.addRule(r ->
                    r.isBlobGet() && r.path().endsWith(baseBlob) ? new TestProxy.Action.HoldAfter(100, release) : null);
            Path cfg = work.resolve("agent-shared.yml");
            Files.writeString(cfg, """
                    root: %s
                    images:
                      - %2$s/agent/shared:base
                      - %2$s/agent/shared:big
                    refreshInterval: 1h
                    concurrency: 2
                    listen: 127.0.0.1:0
                    platform: linux/amd64
                    plainHttp: true
                    """.formatted(work.resolve("root-shared"), proxy.host()));
            try (NodeAgent agent = NodeAgent.start(AgentConfig.load(cfg))) {
                String base = "http://127.0.0.1:" + agent.port();
                await(() -> proxy.requests().stream()
                        .anyMatch(r -> r.isBlobGet() && r.path().endsWith(bigBlob)));
                release.countDown();
                await(() -> get(base + "/readyz").equals("{\"ready\":true,\"missing\":[]}"));
            } finally {
                release.countDown();
            }
            assertThat(proxy.requests())
                    .filteredOn(r -> r.isBlobGet() && r.path().endsWith(baseBlob))
                    .hasSize(1);
        }
    }

    @Test
    void notReadyWhileAConfiguredImageIsMissing() throws Exception {
        Path cfg = work.resolve("agent-missing.yml");
        String present = registry.host() + "/agent/other:big";
        String missing = registry.host() + "/agent/img:never-pushed";
        Files.writeString(cfg, """
                root: %s
                images:
                  - %s
                  - %s
                refreshInterval: 1h
                listen: 127.0.0.1:0
                platform: linux/amd64
                plainHttp: true
                """.formatted(work.resolve("root-missing"), present, missing));
        try (NodeAgent agent = NodeAgent.start(AgentConfig.load(cfg))) {
            String base = "http://127.0.0.1:" + agent.port();
            await(() -> get(base + "/metrics")
                            .contains("berth_agent_image_pull_failures_total{image=\"" + missing + "\"} 1")
                    && get(base + "/metrics").contains("berth_agent_image_present{image=\"" + present + "\"} 1"));
            assertThat(status(base + "/healthz")).isEqualTo(200);
            assertThat(status(base + "/readyz")).isEqualTo(503);
            assertThat(get(base + "/readyz")).isEqualTo("{\"ready\":false,\"missing\":[\"" + missing + "\"]}");
            assertThat(get(base + "/metrics"))
                    .contains("berth_agent_image_present{image=\"" + missing + "\"} 0")
                    .contains("berth_agent_image_last_pull_timestamp_seconds{image=\"" + missing + "\"} 0");
        }
    }

    private int status(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    /** Collects the agent's log messages (java.util.logging) while open. */
    private static final class LogCapture extends java.util.logging.Handler implements AutoCloseable {
        private final java.util.logging.Logger logger = java.util.logging.Logger.getLogger(NodeAgent.class.getName());
        private final java.util.List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();

        LogCapture() {
            logger.addHandler(this);
        }

        java.util.List<String> lines() {
            return java.util.List.copyOf(lines);
        }

        @Override
        public void publish(java.util.logging.LogRecord record) {
            lines.add(record.getMessage() == null ? "" : record.getMessage());
        }

        @Override
        public void flush() {}

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }

    private String get(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    @Test
    void servesContainerdsSnapshotterOnItsOwnStore() throws Exception {
        Path root = work.resolve("root-snapshotter");
        Path socket = work.resolve("run/snapshotter.sock");
        Path cfg = work.resolve("agent-snapshotter.yml");
        String ref = registry.host() + "/agent/img:moving";
        Files.writeString(cfg, """
                root: %s
                images:
                  - %s
                refreshInterval: 1h
                listen: 127.0.0.1:0
                platform: linux/amd64
                plainHttp: true
                snapshotter:
                  address: %s
                """.formatted(root, ref, socket));
        try (NodeAgent agent = NodeAgent.start(AgentConfig.load(cfg));
                UnixChannels channels = new UnixChannels(socket)) {
            await(() -> !images(agent).isEmpty());
            // The base layer the agent pulled is a remote snapshot for containerd: nothing to fetch or apply.
            Digest layer = images(agent).get(0).chainIds().get(0);
            SnapshotsBlockingStub snapshots = SnapshotsGrpc.newBlockingStub(channels.channel());
            assertThatThrownBy(() -> snapshots.prepare(PrepareSnapshotRequest.newBuilder()
                            .setKey("k8s.io/1/extract " + layer)
                            .putLabels("containerd.io/snapshot.ref", layer.toString())
                            .build()))
                    .satisfies(
                            e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.ALREADY_EXISTS));
            assertThat(agent.store().snapshots().list("k8s.io"))
                    .singleElement()
                    .satisfies(r -> assertThat(r.layer()).isEqualTo(layer));
        }
        assertThat(socket).doesNotExist();
    }

    private static void await(BooleanSupplier condition) {
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(condition::getAsBoolean);
    }
}
