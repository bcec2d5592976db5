package dev.berth.registry.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.oci.Digest;
import dev.berth.oci.MediaTypes;
import dev.berth.registry.cache.TestRegistry;
import dev.berth.registry.testing.TempRoots;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Events through real HTTP: a registry with four endpoints, each a JDK HTTP server: one that takes everything,
 * one filtered by repository glob and action, one that hangs every request, and one that fails twice first.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class NotificationApiTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Receiver ALL = new Receiver();
    private static final Receiver FILTERED = new Receiver();
    private static final Receiver HANGING = new Receiver().hang();
    private static final Receiver FLAKY = new Receiver().failFirst(2);

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        registry.add("berth.storage.filesystem.root", () -> tempRoot());
        endpoint(registry, 0, "all", ALL);
        endpoint(registry, 1, "filtered", FILTERED);
        registry.add("berth.notifications.endpoints[1].repositories[0]", () -> "notify/keep/**");
        registry.add("berth.notifications.endpoints[1].actions[0]", () -> "push");
        registry.add("berth.notifications.endpoints[1].ignored-media-types[0]", () -> "application/octet-stream");
        endpoint(registry, 2, "hanging", HANGING);
        registry.add("berth.notifications.endpoints[2].timeout", () -> "30s");
        endpoint(registry, 3, "flaky", FLAKY);
        registry.add("berth.notifications.endpoints[3].repositories[0]", () -> "notify/flaky");
        registry.add("berth.notifications.endpoints[3].backoff", () -> "50ms");
        registry.add("berth.notifications.endpoints[3].headers.Authorization[0]", () -> "Bearer secret");
    }

    private static void endpoint(DynamicPropertyRegistry registry, int n, String name, Receiver receiver) {
        registry.add("berth.notifications.endpoints[" + n + "].name", () -> name);
        registry.add("berth.notifications.endpoints[" + n + "].url", receiver::url);
    }

    private static String tempRoot() {
        return TempRoots.create("berth-notify").toString();
    }

    @AfterAll
    static void stopReceivers() {
        for (Receiver r : new Receiver[] {ALL, FILTERED, HANGING, FLAKY}) {
            r.close();
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    RegistryEvents events;

    private TestRegistry registry;

    @BeforeEach
    void client() {
        registry = new TestRegistry(port);
    }

    private static Predicate<JsonNode> event(String action, String repository, String digest) {
        return e -> e.path("action").asString().equals(action)
                && e.path("target").path("repository").asString().equals(repository)
                && (digest == null || e.path("target").path("digest").asString().equals(digest));
    }

    @Test
    void pushPullDeleteAndMountArriveWithTheirFields() throws Exception {
        String repo = "notify/fields";
        byte[] layer = "fields-layer".getBytes(StandardCharsets.UTF_8);
        Digest layerDigest = Digest.sha256(layer);
        byte[] manifest = registry.image(repo, layer);
        String digest = registry.putManifest(repo, "v1", manifest);

        JsonNode blobPush = ALL.await(event("push", repo, layerDigest.toString()), WAIT);
        assertThat(blobPush).as("blob push").isNotNull();
        assertThat(blobPush.path("target").path("mediaType").asString()).isEqualTo("application/octet-stream");
        assertThat(blobPush.path("target").path("size").asLong()).isEqualTo(layer.length);
        assertThat(blobPush.path("target").path("length").asLong()).isEqualTo(layer.length);
        assertThat(blobPush.path("target").path("url").asString())
                .isEqualTo("http://127.0.0.1:" + port + "/v2/" + repo + "/blobs/" + layerDigest);
        assertThat(blobPush.path("request").path("method").asString()).isEqualTo("POST");

        JsonNode push = ALL.await(event("push", repo, digest), WAIT);
        assertThat(push).as("manifest push").isNotNull();
        assertThat(push.path("id").asString()).isNotEmpty();
        assertThat(push.path("timestamp").asString()).isNotEmpty();
        assertThat(push.path("target").path("mediaType").asString()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(push.path("target").path("size").asLong()).isEqualTo(manifest.length);
        assertThat(push.path("target").path("tag").asString()).isEqualTo("v1");
        assertThat(push.path("target").path("url").asString())
                .isEqualTo("http://127.0.0.1:" + port + "/v2/" + repo + "/manifests/" + digest);
        assertThat(push.path("request").path("method").asString()).isEqualTo("PUT");
        assertThat(push.path("request").path("host").asString()).isEqualTo("127.0.0.1:" + port);
        assertThat(push.path("request").path("addr").asString()).isEqualTo("127.0.0.1");
        assertThat(push.path("request").path("id").asString()).isNotEmpty();
        assertThat(push.path("request").path("useragent").asString()).isNotEmpty();
        assertThat(push.path("source").path("instanceID").asString()).isNotEmpty();
        assertThat(push.path("source").path("addr").asString()).isNotEmpty();
        assertThat(push.has("actor")).isTrue();
        assertThat(push.path("actor").has("name")).as("anonymous: no name").isFalse();

        assertThat(registry.get("/v2/" + repo + "/manifests/v1").status()).isEqualTo(200);
        JsonNode pull = ALL.await(event("pull", repo, digest), WAIT);
        assertThat(pull).as("manifest pull").isNotNull();
        assertThat(pull.path("target").path("tag").asString()).isEqualTo("v1");
        assertThat(pull.path("request").path("method").asString()).isEqualTo("GET");

        assertThat(registry.get("/v2/" + repo + "/blobs/" + layerDigest).status())
                .isEqualTo(200);
        JsonNode blobPull = ALL.await(event("pull", repo, layerDigest.toString()), WAIT);
        assertThat(blobPull).as("blob pull").isNotNull();
        assertThat(blobPull.path("target").path("size").asLong()).isEqualTo(layer.length);
        assertThat(registry.head("/v2/" + repo + "/blobs/" + layerDigest).status())
                .isEqualTo(200);

        registry.mount("notify/mounted", layerDigest, repo);
        JsonNode mount = ALL.await(event("mount", "notify/mounted", layerDigest.toString()), WAIT);
        assertThat(mount).as("mount").isNotNull();
        assertThat(mount.path("target").path("fromRepository").asString()).isEqualTo(repo);
        assertThat(mount.path("target").path("size").asLong()).isEqualTo(layer.length);

        assertThat(registry.delete("/v2/" + repo + "/manifests/" + digest).status())
                .isEqualTo(202);
        JsonNode delete = ALL.await(event("delete", repo, digest), WAIT);
        assertThat(delete).as("manifest delete").isNotNull();
        assertThat(delete.path("request").path("method").asString()).isEqualTo("DELETE");
        assertThat(registry.delete("/v2/notify/mounted/blobs/" + layerDigest).status())
                .isEqualTo(202);
        assertThat(ALL.await(event("delete", "notify/mounted", layerDigest.toString()), WAIT))
                .as("blob delete")
                .isNotNull();

        // HEAD requests are not pulls.
        assertThat(ALL.events(e -> e.path("request").path("method").asString().equals("HEAD")))
                .isEmpty();
        assertThat(ALL.contentTypes()).allMatch("application/vnd.docker.distribution.events.v1+json"::equals);
    }

    @Test
    void endpointsReceiveOnlyWhatTheirFiltersAccept() throws Exception {
        String kept = registry.putManifest(
                "notify/keep/app", "1", registry.image("notify/keep/app", "keep".getBytes(StandardCharsets.UTF_8)));
        String other = registry.putManifest(
                "notify/other", "1", registry.image("notify/other", "other".getBytes(StandardCharsets.UTF_8)));
        assertThat(registry.get("/v2/notify/keep/app/manifests/1").status()).isEqualTo(200);
        assertThat(FILTERED.await(event("push", "notify/keep/app", kept), WAIT)).isNotNull();
        // Everything ALL got by now has been offered to FILTERED as well.
        assertThat(ALL.await(event("pull", "notify/keep/app", kept), WAIT)).isNotNull();
        assertThat(ALL.await(event("push", "notify/other", other), WAIT)).isNotNull();
        // Whatever FILTERED accepted has been delivered once its queue is empty.
        await().atMost(WAIT).until(() -> stats("filtered").pending() == 0);
        assertThat(FILTERED.events(e -> true)).allSatisfy(e -> {
            assertThat(e.path("action").asString()).isEqualTo("push");
            assertThat(e.path("target").path("repository").asString()).startsWith("notify/keep/");
            assertThat(e.path("target").path("mediaType").asString()).isNotEqualTo("application/octet-stream");
        });
    }

    @Test
    void aFailingEndpointIsRetriedUntilItAccepts() throws Exception {
        String digest = registry.putManifest(
                "notify/flaky", "1", registry.image("notify/flaky", "flaky".getBytes(StandardCharsets.UTF_8)));
        assertThat(FLAKY.await(event("push", "notify/flaky", digest), WAIT)).isNotNull();
        assertThat(FLAKY.requests()).isGreaterThanOrEqualTo(3);
        assertThat(stats("flaky").failedAttempts()).isEqualTo(2);
        assertThat(FLAKY.events(event("push", "notify/flaky", digest))).hasSize(1);
    }

    @Test
    void aHangingEndpointDoesNotSlowPushes() throws Exception {
        registry.putManifest(
                "notify/hang", "warm", registry.image("notify/hang", "warm".getBytes(StandardCharsets.UTF_8)));
        await().atMost(WAIT).until(() -> HANGING.requests() > 0);
        assertThat(HANGING.requests())
                .as("the hanging endpoint holds a delivery")
                .isEqualTo(1);
        long slowest = 0;
        for (int i = 0; i < 10; i++) {
            byte[] manifest = registry.image("notify/hang", ("hang-" + i).getBytes(StandardCharsets.UTF_8));
            long start = System.nanoTime();
            registry.putManifest("notify/hang", "t" + i, manifest);
            slowest = Math.max(slowest, System.nanoTime() - start);
        }
        // Its delivery timeout is 30 s; pushes must not wait for it at all.
        assertThat(Duration.ofNanos(slowest)).isLessThan(Duration.ofSeconds(2));
        assertThat(HANGING.requests()).isEqualTo(1);
        assertThat(stats("hanging").pending()).isGreaterThan(10);
    }

    private EndpointSink.Stats stats(String endpoint) {
        return ((Notifier) events)
                .stats().stream()
                        .filter(s -> s.name().equals(endpoint))
                        .findFirst()
                        .orElseThrow();
    }
}
