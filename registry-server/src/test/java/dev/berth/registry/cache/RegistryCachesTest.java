package dev.berth.registry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.registry.RegistryApplication;
import dev.berth.registry.manifest.TagStore;
import dev.berth.registry.storage.BlobStore;
import dev.berth.registry.storage.GcMarkers;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.storage.RepositoryLinks;
import dev.berth.storage.CheckedStorageDriver;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.filesystem.FilesystemDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;

/** The caches through the stores that use them, over a filesystem driver, with a clock the test moves. */
class RegistryCachesTest {
    private static final Duration TTL = Duration.ofSeconds(5);

    @TempDir
    Path root;

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Ticker ticker = now::get;
    private StorageDriver driver;
    private RegistryCaches caches;
    private BlobStore blobs;
    private RepositoryLinks links;
    private TagStore tags;

    @BeforeEach
    void setUp() throws IOException {
        driver = new CheckedStorageDriver(new FilesystemDriver(root));
        caches = new RegistryCaches(TTL, 100, 1 << 20, ticker);
        blobs = new BlobStore(driver, Duration.ofSeconds(1), caches);
        links = new RepositoryLinks(driver, caches);
        tags = new TagStore(driver, caches);
    }

    @Test
    void aSecondLookupIsAHitAndAWriteInvalidates() throws IOException {
        Digest a = Digest.sha256("a".getBytes(StandardCharsets.UTF_8));
        Digest b = Digest.sha256("b".getBytes(StandardCharsets.UTF_8));
        tags.tag("r", "latest", a);
        assertThat(tags.resolve("r", "latest")).contains(a);
        assertThat(tags.resolve("r", "latest")).contains(a);
        assertThat(caches.stats().get("tags").hitCount()).isEqualTo(1);
        assertThat(caches.stats().get("tags").missCount()).isEqualTo(1);

        tags.tag("r", "latest", b);
        assertThat(tags.resolve("r", "latest")).contains(b);
        tags.untag("r", "latest");
        assertThat(tags.resolve("r", "latest")).isEmpty();
    }

    @Test
    void absentAnswersAreNeverCached() throws IOException {
        Digest d = Digest.sha256("x".getBytes(StandardCharsets.UTF_8));
        assertThat(blobs.cachedSize(d)).isEmpty();
        assertThat(links.isLinkedCached("r", d)).isFalse();
        blobs.putSmall("x".getBytes(StandardCharsets.UTF_8), DigestAlgorithm.SHA256);
        // Written behind the cache's back (another replica): visible at once.
        driver.putContent(RegistryLayout.layerLink("r", d), d.toString().getBytes(StandardCharsets.US_ASCII));
        assertThat(blobs.cachedSize(d)).contains(1L);
        assertThat(links.isLinkedCached("r", d)).isTrue();
    }

    @Test
    void entriesExpireTtlAfterTheStorageReadBegan() throws IOException {
        Digest d = blobs.putSmall("y".getBytes(StandardCharsets.UTF_8), DigestAlgorithm.SHA256);
        AtomicInteger loads = new AtomicInteger();
        RegistryCaches.Loader<Long> slowLoad = () -> {
            loads.incrementAndGet();
            now.addAndGet(Duration.ofSeconds(2).toNanos()); // a 2 s storage read
            return RegistryCaches.Answer.of(1L);
        };
        caches.blobSize(d, slowLoad);
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        caches.blobSize(d, slowLoad);
        assertThat(loads).hasValue(1);
        // 5 s after the read began, though only 3 s after the entry was stored.
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        caches.blobSize(d, slowLoad);
        assertThat(loads).hasValue(2);
    }

    @Test
    void aBlobWithAGcIntentIsReportedButNotCached() throws IOException {
        Digest d = blobs.putSmall("z".getBytes(StandardCharsets.UTF_8), DigestAlgorithm.SHA256);
        GcMarkers markers = new GcMarkers(driver);
        markers.intend(RegistryLayout.blobDir(d));
        assertThat(blobs.cachedSize(d)).contains(1L);
        assertThat(blobs.cachedSize(d)).contains(1L);
        assertThat(caches.stats().get("blobs").hitCount()).isZero();

        markers.withdraw(RegistryLayout.blobDir(d));
        blobs.cachedSize(d);
        blobs.cachedSize(d);
        assertThat(caches.stats().get("blobs").hitCount()).isEqualTo(1);
        // Deleted behind the cache's back only after the TTL: the entry is gone by then.
        driver.delete(RegistryLayout.blobData(d));
        now.addAndGet(TTL.toNanos());
        assertThat(blobs.cachedSize(d)).isEmpty();
    }

    @Test
    void aLoadThatRacesAnInvalidationLeavesNothingBehind() throws IOException {
        Digest old = Digest.sha256("old".getBytes(StandardCharsets.UTF_8));
        Optional<Digest> seen = caches.tag("r", "t", () -> {
            caches.invalidateTag("r", "t"); // a write lands while the read is in flight
            return RegistryCaches.Answer.of(old);
        });
        assertThat(seen).contains(old);
        assertThat(caches.caches().get("tags").estimatedSize()).isZero();
    }

    @Test
    void manifestBodiesAreBoundedByBytes() throws IOException {
        RegistryCaches small = new RegistryCaches(TTL, 100, 4096, ticker);
        for (int i = 0; i < 20; i++) {
            byte[] body = new byte[1000];
            body[0] = (byte) i;
            small.manifest(Digest.sha256(body), () -> RegistryCaches.Answer.of(body));
        }
        small.caches().get("manifests").cleanUp();
        assertThat(small.caches().get("manifests").estimatedSize()).isLessThanOrEqualTo(4);
    }

    @Test
    void disabledCachesAlwaysRead() throws IOException {
        RegistryCaches off = RegistryCaches.disabled();
        AtomicInteger loads = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            off.tag("r", "t", () -> {
                loads.incrementAndGet();
                return RegistryCaches.Answer.of(Digest.sha256(new byte[0]));
            });
        }
        assertThat(loads).hasValue(3);
        assertThat(off.stats().get("tags").requestCount()).isZero();
    }

    @Test
    void aSettleDelayNotLongerThanTheTtlIsRefused(@TempDir Path storage) {
        assertThatThrownBy(() -> CacheConfiguration.checkSettleDelay(Duration.ofSeconds(5), Duration.ofSeconds(5)))
                .hasMessageContaining("berth.gc.settle-delay");
        CacheConfiguration.checkSettleDelay(Duration.ofSeconds(5), Duration.ofSeconds(6));
        assertThatThrownBy(() -> new SpringApplicationBuilder(RegistryApplication.class)
                        .run(
                                "--server.port=0",
                                "--berth.storage.filesystem.root=" + storage,
                                "--spring.main.banner-mode=off",
                                "--berth.cache.ttl=10m",
                                "--berth.gc.settle-delay=5m")
                        .close())
                .hasStackTraceContaining("must be longer than berth.cache.ttl");
    }
}
