package dev.berth.registry.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.registry.gc.GarbageCollector;
import dev.berth.registry.gc.GcOptions;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.testing.Resp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Every write and delete path through HTTP invalidates what it changed in this process. The TTL is an hour, so
 * a missed invalidation shows as a stale answer rather than being hidden by expiry.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class CacheInvalidationApiTest {
    private static final AtomicInteger REPOS = new AtomicInteger();
    private static Path root;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        root = Files.createTempDirectory("berth-cache-api");
        registry.add("berth.storage.filesystem.root", root::toString);
        registry.add("berth.cache.ttl", () -> "1h");
        registry.add("berth.gc.settle-delay", () -> "2h");
    }

    @LocalServerPort
    int port;

    @Autowired
    RegistryCaches caches;

    @Autowired
    GarbageCollector collector;

    private TestRegistry registry;

    @BeforeEach
    void client() {
        registry = new TestRegistry(port);
    }

    private static String repo(String hint) {
        return "cache/" + hint + REPOS.incrementAndGet();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void manifestGetsByTagAreServedFromTheCache() {
        String repo = repo("hits");
        String digest = registry.putManifest(repo, "v1", registry.image(repo, bytes("hits")));
        long tagHits = caches.stats().get("tags").hitCount();
        long bodyHits = caches.stats().get("manifests").hitCount();
        for (int i = 0; i < 5; i++) {
            Resp r = registry.get("/v2/" + repo + "/manifests/v1");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Docker-Content-Digest")).isEqualTo(digest);
        }
        assertThat(caches.stats().get("tags").hitCount() - tagHits).isGreaterThanOrEqualTo(4);
        assertThat(caches.stats().get("manifests").hitCount() - bodyHits).isGreaterThanOrEqualTo(4);
        assertThat(caches.stats().get("revisions").hitRate()).isGreaterThan(0);
    }

    @Test
    void tagPutAndDeleteInvalidateTheTag() {
        String repo = repo("tag");
        String first = registry.putManifest(repo, "latest", registry.image(repo, bytes("one")));
        assertThat(registry.get("/v2/" + repo + "/manifests/latest").header("Docker-Content-Digest"))
                .isEqualTo(first);
        String second = registry.putManifest(repo, "latest", registry.image(repo, bytes("two")));
        assertThat(registry.get("/v2/" + repo + "/manifests/latest").header("Docker-Content-Digest"))
                .isEqualTo(second);
        assertThat(registry.delete("/v2/" + repo + "/manifests/latest").status())
                .isEqualTo(202);
        assertThat(registry.get("/v2/" + repo + "/manifests/latest").status()).isEqualTo(404);
        // The revision itself stays, by digest.
        assertThat(registry.head("/v2/" + repo + "/manifests/" + second).status())
                .isEqualTo(200);
    }

    @Test
    void manifestDeleteInvalidatesRevisionAndTags() {
        String repo = repo("manifest");
        String digest = registry.putManifest(repo, "a", registry.image(repo, bytes("m")));
        assertThat(registry.head("/v2/" + repo + "/manifests/" + digest).status())
                .isEqualTo(200);
        assertThat(registry.get("/v2/" + repo + "/manifests/a").status()).isEqualTo(200);
        assertThat(registry.delete("/v2/" + repo + "/manifests/" + digest).status())
                .isEqualTo(202);
        assertThat(registry.head("/v2/" + repo + "/manifests/" + digest).status())
                .isEqualTo(404);
        assertThat(registry.get("/v2/" + repo + "/manifests/a").status()).isEqualTo(404);
    }

    @Test
    void blobDeleteUploadAndMountAreSeenAtOnce() {
        String repo = repo("blob");
        byte[] content = bytes("blob-" + System.nanoTime());
        Digest d = Digest.sha256(content);
        String path = "/v2/" + repo + "/blobs/" + d;
        assertThat(registry.head(path).status()).isEqualTo(404);
        registry.pushBlob(repo, content);
        assertThat(registry.head(path).status()).isEqualTo(200);
        assertThat(registry.head(path).status()).isEqualTo(200);
        assertThat(registry.delete(path).status()).isEqualTo(202);
        assertThat(registry.head(path).status()).isEqualTo(404);
        assertThat(registry.get(path).status()).isEqualTo(404);

        String other = repo("mount");
        assertThat(registry.head("/v2/" + other + "/blobs/" + d).status()).isEqualTo(404);
        registry.mount(other, d, repo);
        assertThat(registry.head("/v2/" + other + "/blobs/" + d).status()).isEqualTo(200);
    }

    @Test
    void repositoryDeleteInvalidatesEverythingOfTheRepository() {
        String repo = repo("admin");
        byte[] layer = bytes("admin-layer-" + System.nanoTime());
        String digest = registry.putManifest(repo, "t", registry.image(repo, layer));
        String blob = "/v2/" + repo + "/blobs/" + Digest.sha256(layer);
        assertThat(registry.get("/v2/" + repo + "/manifests/t").status()).isEqualTo(200);
        assertThat(registry.head("/v2/" + repo + "/manifests/" + digest).status())
                .isEqualTo(200);
        assertThat(registry.head(blob).status()).isEqualTo(200);
        assertThat(registry.delete("/admin/repositories/" + repo).status()).isEqualTo(202);
        assertThat(registry.get("/v2/" + repo + "/manifests/t").status()).isEqualTo(404);
        assertThat(registry.head("/v2/" + repo + "/manifests/" + digest).status())
                .isEqualTo(404);
        assertThat(registry.head(blob).status()).isEqualTo(404);
    }

    @Test
    void garbageCollectionInvalidatesWhatItDeletes() throws Exception {
        String repo = repo("gc");
        byte[] content = bytes("unreferenced-" + System.nanoTime());
        Digest d = registry.pushBlob(repo, content);
        String path = "/v2/" + repo + "/blobs/" + d;
        assertThat(registry.head(path).status()).isEqualTo(200);
        assertThat(registry.head(path).status()).isEqualTo(200); // now cached, for an hour
        // Settle delay zero: only this process's own invalidation can keep the cache honest here.
        collector.run(GcOptions.builder()
                .gracePeriod(Duration.ZERO)
                .settleDelay(Duration.ZERO)
                .uploadTtl(Duration.ofDays(1))
                .parallelism(2)
                .batchSize(100)
                .build());
        assertThat(Files.exists(root.resolve(RegistryLayout.blobData(d).substring(1))))
                .isFalse();
        assertThat(registry.head(path).status()).isEqualTo(404);
        assertThat(registry.get(path).status()).isEqualTo(404);
    }
}
