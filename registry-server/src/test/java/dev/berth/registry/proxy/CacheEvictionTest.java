package dev.berth.registry.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.oci.Digest;
import dev.berth.registry.gc.GcService;
import dev.berth.registry.testing.Resp;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * {@code max-size}: with room for two of three images, pulling the third evicts the least recently used one
 * through garbage collection, a blob that a local tag pins stays, and every pull, of evicted images too, succeeds.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext // closed before its storage directory is deleted
class CacheEvictionTest {
    static final int LAYER = 300 * 1024;

    @TempDir
    static Path dir;

    static CncfRegistry upstream;

    @LocalServerPort
    int port;

    @Autowired
    GcService gc;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        upstream = CncfRegistry.start(dir.resolve("upstream"), null, null);
        registry.add("berth.storage.filesystem.root", () -> dir.resolve("proxy").toString());
        registry.add("berth.cache.ttl", () -> "100ms");
        registry.add("berth.gc.settle-delay", () -> "500ms");
        registry.add("berth.gc.grace-period", () -> "0s");
        registry.add("berth.proxy.enabled", () -> "true");
        registry.add("berth.proxy.upstreams[0].name", () -> "small.test");
        registry.add("berth.proxy.upstreams[0].prefix", () -> "small");
        registry.add("berth.proxy.upstreams[0].url", upstream::url);
        registry.add("berth.proxy.upstreams[0].max-size", () -> "700KB");
    }

    @AfterAll
    static void stop() throws Exception {
        upstream.close();
    }

    Images proxy() {
        return new Images("http://127.0.0.1:" + port, null);
    }

    /** Pulls like a client: the manifest by tag, then every blob, each checked against its digest. */
    List<Digest> pull(String repo, String tag) {
        Resp manifest = proxy().send("GET", "/v2/" + repo + "/manifests/" + tag, HttpRequest.BodyPublishers.noBody());
        assertThat(manifest.status()).as("%s", manifest).isEqualTo(200);
        List<Digest> blobs = new ArrayList<>();
        JsonNode json = manifest.json();
        blobs.add(Digest.parse(json.get("config").get("digest").asString()));
        json.get("layers").forEach(l -> blobs.add(Digest.parse(l.get("digest").asString())));
        for (Digest d : blobs) {
            Resp blob = proxy().send("GET", "/v2/" + repo + "/blobs/" + d, HttpRequest.BodyPublishers.noBody());
            assertThat(blob.status()).as("%s", blob).isEqualTo(200);
            assertThat(Digest.sha256(blob.body())).isEqualTo(d);
        }
        return blobs;
    }

    Path blobData(Digest d) {
        return dir.resolve("proxy/v2/blobs/sha256/" + d.hex().substring(0, 2) + "/" + d.hex() + "/data");
    }

    long manifestsIn(String repo) throws java.io.IOException {
        Path revisions = dir.resolve("proxy/v2/repositories/" + repo + "/_manifests/revisions/sha256");
        if (!java.nio.file.Files.isDirectory(revisions)) {
            return 0;
        }
        try (var list = java.nio.file.Files.list(revisions)) {
            return list.count();
        }
    }

    @Test
    void theLeastRecentlyUsedImageIsEvictedAndPinnedContentStays() throws Exception {
        Images images = new Images(upstream.url(), null);
        byte[] pinnedLayer = Images.layer(22, LAYER);
        for (String name : List.of("a", "b", "c")) {
            images.pushImage(
                    "team/" + name, "v1", name.equals("b") ? pinnedLayer : Images.layer(name.hashCode(), LAYER));
        }
        // A local image pins image b's layer.
        proxy().pushImage("mine/pinned", "v1", pinnedLayer);

        List<Digest> a = pull("small/team/a", "v1");
        List<Digest> b = pull("small/team/b", "v1");
        pull("small/team/a", "v1"); // a is now more recently used than b
        List<Digest> c = pull("small/team/c", "v1");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(manifestsIn("small/team/b")).isZero();
            assertThat(blobData(b.get(0))).doesNotExist(); // b's config went with garbage collection
        });
        assertThat(blobData(b.get(1))).exists(); // pinned by mine/pinned:v1
        assertThat(manifestsIn("small/team/a")).isEqualTo(1);
        assertThat(manifestsIn("small/team/c")).isEqualTo(1);
        for (List<Digest> kept : List.of(a, c)) {
            kept.forEach(d -> assertThat(blobData(d)).exists());
        }
        // Evicted content is fetched again, and now a is the least recently used.
        assertThat(pull("small/team/b", "v1")).isEqualTo(b);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(manifestsIn("small/team/a")).isZero();
            assertThat(gc.status().state()).isEqualTo("idle");
        });
        assertThat(manifestsIn("small/team/b")).isEqualTo(1);
    }
}
