package dev.berth.registry.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.testing.Resp;
import dev.berth.registry.testing.TempRoots;
import dev.berth.registry.testing.TestHttp;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Soak: a few threads push images (sharing base layers, so blobs keep becoming unreferenced and referenced
 * again), move and delete tags and delete manifests through the real HTTP API while garbage collection runs
 * back to back with a tiny settle delay and grace period. Afterwards every tag must pull completely, with every
 * blob verified by digest, and once the grace period has passed a final collection must leave exactly what the
 * tags reach. Also covers the admin endpoints.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GcUnderLoadTest {
    private static final Path ROOT = tempRoot();
    private static final Duration LOAD = Duration.ofSeconds(25);
    private static final Duration GRACE = Duration.ofSeconds(3);
    private static final List<String> REPOS = List.of("soak/a", "soak/b", "soak/c/d");
    private static final List<String> TAGS = List.of("t1", "t2", "t3", "t4");
    private static final int BASE_LAYERS = 4;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("berth.storage.filesystem.root", ROOT::toString);
        registry.add("berth.gc.grace-period", () -> GRACE.toMillis() + "ms");
        registry.add("berth.gc.settle-delay", () -> "1s");
        registry.add("berth.cache.ttl", () -> "500ms");
        registry.add("berth.gc.keep-untagged-for", () -> "0s");
        registry.add("berth.gc.parallelism", () -> "2");
    }

    @LocalServerPort
    int port;

    @Autowired
    StorageDriver driver;

    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final AtomicInteger unique = new AtomicInteger();
    private final AtomicLong pushes = new AtomicLong();
    private final AtomicLong pushRetries = new AtomicLong();
    private final AtomicLong gcRuns = new AtomicLong();
    private final Set<String> failures = ConcurrentHashMap.newKeySet();

    @Test
    void everyTagPullsCompletelyAndGarbageIsGoneAfterTheGracePeriod() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(4);
        long end = System.nanoTime() + LOAD.toNanos();
        List<Future<?>> load = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String writer = "w" + i;
            load.add(threads.submit(() -> {
                while (System.nanoTime() < end) {
                    try {
                        step(writer);
                    } catch (Exception e) {
                        failures.add("writer: " + e);
                    }
                }
            }));
        }
        load.add(threads.submit(() -> {
            while (System.nanoTime() < end) {
                Resp r = send("POST", "/admin/gc?wait=true", null);
                if (r.status() == 200) {
                    gcRuns.incrementAndGet();
                } else {
                    failures.add("gc: " + r);
                }
            }
        }));
        for (Future<?> f : load) {
            f.get(LOAD.toSeconds() + 60, TimeUnit.SECONDS);
        }
        threads.shutdown();
        assertThat(failures).isEmpty();
        assertThat(gcRuns.get()).isGreaterThanOrEqualTo(3);
        assertThat(pushes.get()).isGreaterThan(20);

        Set<Digest> reachable = new HashSet<>();
        for (String repo : REPOS) {
            for (String tag : tags(repo)) {
                reachable.addAll(pullCompletely(repo, tag));
            }
        }
        assertThat(reachable).isNotEmpty();

        Thread.sleep(GRACE.toMillis() + 500);
        Resp last = send("POST", "/admin/gc?wait=true", null);
        assertThat(last.status()).as("%s", last).isEqualTo(200);
        JsonNode report = last.json();
        assertThat(report.get("dryRun").asBoolean()).isFalse();
        assertThat(report.get("blobsPerSecond").asDouble()).isPositive();

        assertThat(storedBlobs()).as("exactly what the tags reach").isEqualTo(reachable);
        for (String repo : REPOS) {
            for (String tag : tags(repo)) {
                pullCompletely(repo, tag);
            }
        }
        assertThat(markersLeft()).isEmpty();
        System.out.printf(
                "GcUnderLoadTest: %d pushes (%d retried after MANIFEST_BLOB_UNKNOWN), %d GC runs%n",
                pushes.get(), pushRetries.get(), gcRuns.get());

        // The admin extras, on the state the soak left behind.
        JsonNode status = send("GET", "/admin/gc", null).json();
        assertThat(status.get("state").asString()).isEqualTo("idle");
        assertThat(status.get("lastReport").get("blobsKept").asLong()).isEqualTo(reachable.size());
        JsonNode usage = send("GET", "/admin/repositories", null).json().get("repositories");
        assertThat(usage.size()).isGreaterThan(0);
        assertThat(usage.get(0).get("bytes").asLong()).isPositive();
        assertThat(send("DELETE", "/admin/repositories/soak/c/d", null).status())
                .isEqualTo(202);
        assertThat(send("GET", "/v2/soak/c/d/tags/list", null).status()).isEqualTo(404);
        assertThat(send("DELETE", "/admin/repositories/soak/c/d", null).status())
                .isEqualTo(404);
        assertThat(send("DELETE", "/admin/repositories/Bad..Name", null).status())
                .isEqualTo(400);
        JsonNode dry = send("POST", "/admin/gc?dry-run=true&wait=true", null).json();
        assertThat(dry.get("dryRun").asBoolean()).isTrue();
    }

    /**
     * One random client action: mostly pushes, some tag and manifest deletes. Each writer has its own tags, as
     * one CI job owns its tags: concurrent writes to one tag race in the driver, which is not what this tests.
     */
    private void step(String writer) {
        String repo = REPOS.get(ThreadLocalRandom.current().nextInt(REPOS.size()));
        String tag = writer + "-" + TAGS.get(ThreadLocalRandom.current().nextInt(TAGS.size()));
        int dice = ThreadLocalRandom.current().nextInt(10);
        if (dice < 7) {
            push(repo, tag);
        } else if (dice < 9) {
            send("DELETE", "/v2/" + repo + "/manifests/" + tag, null);
        } else {
            Resp m = send("HEAD", "/v2/" + repo + "/manifests/" + tag, null);
            if (m.status() == 200) {
                send("DELETE", "/v2/" + repo + "/manifests/" + m.header("Docker-Content-Digest"), null);
            }
        }
    }

    /** Pushes like a client: skip blobs the repository already has, retry when the registry lost one. */
    private void push(String repo, String tag) {
        int base = ThreadLocalRandom.current().nextInt(BASE_LAYERS);
        byte[] baseLayer = ("base-layer-" + base).repeat(100).getBytes(StandardCharsets.UTF_8);
        byte[] ownLayer = ("own-layer-" + unique.incrementAndGet()).getBytes(StandardCharsets.UTF_8);
        byte[] config = ("{\"base\":" + base + "}").getBytes(StandardCharsets.UTF_8);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":" + descriptor("application/vnd.oci.image.config.v1+json", config)
                + ",\"layers\":[" + descriptor("application/vnd.oci.image.layer.v1.tar", baseLayer) + ","
                + descriptor("application/vnd.oci.image.layer.v1.tar", ownLayer) + "]}";
        for (int attempt = 0; attempt < 5; attempt++) {
            boolean skipExisting = attempt == 0;
            for (byte[] blob : List.of(config, baseLayer, ownLayer)) {
                String digest = Digest.sha256(blob).toString();
                if (skipExisting
                        && send("HEAD", "/v2/" + repo + "/blobs/" + digest, null)
                                        .status()
                                == 200) {
                    continue;
                }
                Resp up = send(
                        "POST",
                        "/v2/" + repo + "/blobs/uploads/?digest=" + digest,
                        blob,
                        "Content-Type",
                        "application/octet-stream");
                if (up.status() != 201) {
                    failures.add("upload " + up);
                    return;
                }
            }
            Resp put = send(
                    "PUT",
                    "/v2/" + repo + "/manifests/" + tag,
                    manifest.getBytes(StandardCharsets.UTF_8),
                    "Content-Type",
                    "application/vnd.oci.image.manifest.v1+json");
            if (put.status() == 201) {
                pushes.incrementAndGet();
                return;
            }
            if (put.status() != 400 || !put.text().contains("MANIFEST_BLOB_UNKNOWN")) {
                failures.add("put " + put);
                return;
            }
            pushRetries.incrementAndGet();
        }
        failures.add("push of " + repo + ":" + tag + " kept losing blobs");
    }

    private static String descriptor(String mediaType, byte[] content) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + Digest.sha256(content) + "\",\"size\":"
                + content.length + "}";
    }

    private List<String> tags(String repo) {
        Resp r = send("GET", "/v2/" + repo + "/tags/list", null);
        List<String> tags = new ArrayList<>();
        if (r.status() == 200 && r.json().get("tags") != null) {
            r.json().get("tags").forEach(t -> tags.add(t.asString()));
        }
        return tags;
    }

    /** Pulls manifest and blobs, verifying every digest; returns the digests pulled. */
    private Set<Digest> pullCompletely(String repo, String tag) {
        Resp m = send(
                "GET",
                "/v2/" + repo + "/manifests/" + tag,
                null,
                "Accept",
                "application/vnd.oci.image.manifest.v1+json");
        assertThat(m.status()).as("%s:%s %s", repo, tag, m).isEqualTo(200);
        Digest manifest = Digest.sha256(m.body());
        assertThat(m.header("Docker-Content-Digest")).isEqualTo(manifest.toString());
        Set<Digest> digests = new HashSet<>();
        digests.add(manifest);
        JsonNode json = m.json();
        List<JsonNode> blobs = new ArrayList<>();
        blobs.add(json.get("config"));
        json.get("layers").forEach(blobs::add);
        for (JsonNode d : blobs) {
            Digest digest = Digest.parse(d.get("digest").asString());
            Resp b = send("GET", "/v2/" + repo + "/blobs/" + digest, null);
            assertThat(b.status()).as("%s:%s blob %s", repo, tag, digest).isEqualTo(200);
            assertThat(Digest.sha256(b.body())).isEqualTo(digest);
            digests.add(digest);
        }
        return digests;
    }

    private Set<Digest> storedBlobs() throws IOException {
        Set<Digest> stored = new HashSet<>();
        driver.walk(RegistryLayout.BLOBS, info -> {
            if (info.path().endsWith("/data")) {
                String[] p = info.path().split("/");
                stored.add(Digest.parse(p[p.length - 4] + ":" + p[p.length - 2]));
            }
            return true;
        });
        return stored;
    }

    private List<String> markersLeft() throws IOException {
        List<String> found = new ArrayList<>();
        driver.walk(RegistryLayout.ROOT, info -> {
            if (info.path().endsWith(RegistryLayout.GC_INTENT) || info.path().endsWith(RegistryLayout.GC_CLAIMED)) {
                found.add(info.path());
            }
            return true;
        });
        return found;
    }

    private Resp send(String method, String path, byte[] body, String... headers) {
        return TestHttp.send(
                client, method, URI.create("http://localhost:" + port + path), body, Duration.ofSeconds(60), headers);
    }

    private static Path tempRoot() {
        return TempRoots.create("berth-gc-soak");
    }
}
