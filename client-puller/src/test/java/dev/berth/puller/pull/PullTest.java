package dev.berth.puller.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.oci.Digest;
import dev.berth.oci.ImageReference;
import dev.berth.puller.registry.Backoff;
import dev.berth.puller.registry.CredentialStore;
import dev.berth.puller.registry.Registries;
import dev.berth.puller.registry.TransportOptions;
import dev.berth.puller.store.ChainIds;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.store.ImageRecord;
import dev.berth.puller.store.Store;
import dev.berth.puller.store.StoreLayout;
import dev.berth.puller.testing.TestImages;
import dev.berth.puller.testing.TestProxy;
import dev.berth.puller.testing.TestRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Pulls from a real docker-registry, through a proxy that counts, cuts and corrupts. */
class PullTest {
    private static Path work;
    private static TestRegistry registry;
    private static TestProxy proxy;
    private static TestImages images;

    private Path root;
    private Store store;

    @BeforeAll
    static void startRegistry() throws IOException {
        work = Files.createTempDirectory("berth-pull-test");
        registry = TestRegistry.start(work.resolve("registry"));
        images = TestImages.build(work.resolve("layout"));
        images.pushAll(registry, "test/img");
        proxy = new TestProxy(registry.host());
    }

    @AfterAll
    static void stopRegistry() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        if (registry != null) {
            registry.close();
        }
        FsUtil.deleteTree(work);
    }

    @BeforeEach
    void freshStore() throws IOException {
        root = Files.createTempDirectory(work, "root");
        store = Store.open(root);
        proxy.clearRules();
        proxy.clearRequests();
    }

    @AfterEach
    void noIngestLeftBehind() throws IOException {
        try (Stream<Path> s = Files.list(root.resolve("layers"))) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".tmp-"));
        }
    }

    private Puller puller() {
        Registries registries =
                new Registries(TransportOptions.defaults().withPlainHttp(true), CredentialStore.anonymous());
        return new Puller(
                store,
                registries,
                LayerUnpacker.unionFs(),
                PullOptions.defaults().withPlatform(TestImages.AMD64).withBackoff(Backoff.fast(4)));
    }

    private ImageReference ref(String tag) {
        return ImageReference.parse(proxy.host() + "/test/img:" + tag);
    }

    @Test
    void storesLayersInOverlay2Layout() throws IOException {
        PullResult r = puller().pull(ref("app"), PullListener.NONE);

        List<Digest> chain =
                ChainIds.of(List.of(images.baseLayer.diffId(), images.changeLayer.diffId(), images.zstdLayer.diffId()));
        assertThat(r.image().chainIds()).isEqualTo(chain);
        assertThat(r.layersFetched()).isEqualTo(3);
        StoreLayout layout = store.layout();
        String[] links = new String[3];
        for (int i = 0; i < 3; i++) {
            Path dir = layout.layerDir(chain.get(i));
            assertThat(dir.resolve("diff")).isDirectory();
            assertThat(dir.resolve("work")).isDirectory();
            links[i] = Files.readString(dir.resolve("link"));
            assertThat(links[i]).matches("[A-Z2-7]{26}");
            Path shortLink = root.resolve("l").resolve(links[i]);
            assertThat(Files.readSymbolicLink(shortLink))
                    .isEqualTo(Path.of("../layers/" + chain.get(i).hex() + "/diff"));
            assertThat(shortLink.toRealPath()).isEqualTo(dir.resolve("diff").toRealPath());
        }
        assertThat(layout.lowerFile(chain.get(0))).doesNotExist();
        assertThat(Files.readString(layout.lowerFile(chain.get(1)))).isEqualTo("l/" + links[0]);
        assertThat(Files.readString(layout.lowerFile(chain.get(2)))).isEqualTo("l/" + links[1] + ":l/" + links[0]);

        // Whiteouts became overlay's 0:0 character devices; the tar's own .wh. files are gone.
        Path deleted = layout.diffDir(chain.get(1)).resolve("etc/deleteme");
        Map<String, Object> a = Files.readAttributes(deleted, "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
        assertThat((Integer) a.get("mode") & 0170000).isEqualTo(0020000);
        assertThat((Long) a.get("rdev")).isZero();
        assertThat(layout.diffDir(chain.get(1)).resolve("etc/.wh.deleteme")).doesNotExist();
        // The zstd layer was decompressed and applied.
        assertThat(layout.diffDir(chain.get(2)).resolve("etc/motd")).hasContent("welcome to berth");

        ImageRecord rec = store.images().get(ref("app").toString()).orElseThrow();
        assertThat(rec.manifestDigest()).isEqualTo(r.image().manifestDigest());
        assertThat(rec.parsedConfig().config().cmd()).containsExactly("/usr/bin/app");
    }

    @Test
    void secondImageWithKnownBaseDownloadsOnlyNewLayers() throws IOException {
        Puller p = puller();
        p.pull(ref("base"), PullListener.NONE);
        assertThat(layerGets(images.baseLayer)).isEqualTo(1);

        proxy.clearRequests();
        PullResult app = p.pull(ref("app"), PullListener.NONE);
        assertThat(layerGets(images.baseLayer)).isZero();
        assertThat(layerGets(images.changeLayer)).isEqualTo(1);
        assertThat(layerGets(images.zstdLayer)).isEqualTo(1);
        assertThat(app.layersPresent()).isEqualTo(1);
        assertThat(app.layersFetched()).isEqualTo(2);

        proxy.clearRequests();
        PullResult again = p.pull(ref("app"), PullListener.NONE);
        assertThat(again.layersFetched()).isZero();
        assertThat(proxy.requests().stream()
                        .filter(r -> r.isBlobGet()
                                && !r.path()
                                        .endsWith(again.image().configDigest().toString())))
                .isEmpty();
        // One directory per distinct layer.
        assertThat(store.layers().list()).hasSize(3);
    }

    @Test
    void resumesACutDownloadWithRange() throws IOException {
        AtomicBoolean cut = new AtomicBoolean();
        String path = "/blobs/" + Digest.sha256(images.bigLayer.blob());
        proxy.addRule(req -> req.path().endsWith(path) && cut.compareAndSet(false, true)
                ? new TestProxy.Action.CutAfter(1_000_000)
                : null);

        PullResult r = puller().pull(ref("big"), PullListener.NONE);

        List<TestProxy.Request> gets =
                proxy.requests().stream().filter(q -> q.path().endsWith(path)).toList();
        assertThat(gets).hasSize(2);
        assertThat(gets.get(0).header("range")).isNull();
        // Resumed where the client's bytes ended: at most where the proxy cut (a reset may drop some in flight).
        assertThat(gets.get(1).header("range")).matches("bytes=\\d+-");
        long from = Long.parseLong(gets.get(1).header("range").replaceAll("\\D", ""));
        assertThat(from).isBetween(1L, 1_000_000L);
        Path file = store.layout().diffDir(r.image().topChainId()).resolve("data/random.bin");
        assertThat(Files.size(file)).isEqualTo(3 * 1024 * 1024);
    }

    @Test
    void resumesAStalledDownload() throws IOException {
        AtomicBoolean stalled = new AtomicBoolean();
        String path = "/blobs/" + Digest.sha256(images.bigLayer.blob());
        proxy.addRule(req -> req.path().endsWith(path) && stalled.compareAndSet(false, true)
                ? new TestProxy.Action.StallAfter(500_000, 20_000)
                : null);

        PullResult r = puller().pull(ref("big"), PullListener.NONE);

        List<TestProxy.Request> gets =
                proxy.requests().stream().filter(q -> q.path().endsWith(path)).toList();
        assertThat(gets).hasSize(2);
        assertThat(gets.get(1).header("range")).isEqualTo("bytes=500000-"); // all sent bytes arrived
        assertThat(r.layersFetched()).isEqualTo(2);
    }

    @Test
    void corruptLayerIsDiscardedAndThePullFails() throws IOException {
        String path = "/blobs/" + Digest.sha256(images.bigLayer.blob());
        proxy.addRule(req -> req.path().endsWith(path) ? new TestProxy.Action.CorruptAt(2_000_000) : null);

        assertThatThrownBy(() -> puller().pull(ref("big"), PullListener.NONE))
                .isInstanceOf(PullException.class)
                .hasMessageContaining("layer 2/2")
                .hasMessageContaining(Digest.sha256(images.bigLayer.blob()).toString())
                .hasMessageContaining("discarded");
        List<Digest> chain = ChainIds.of(List.of(images.baseLayer.diffId(), images.bigLayer.diffId()));
        assertThat(store.layers().exists(chain.get(1))).isFalse();
        assertThat(store.layout().layerDir(chain.get(1))).doesNotExist();
        assertThat(store.images().list()).isEmpty();
        // Corrupt content is not retried: one GET only.
        assertThat(proxy.requests().stream().filter(q -> q.path().endsWith(path)))
                .hasSize(1);
    }

    @Test
    void diffIdMismatchDiscardsTheLayer() throws IOException {
        assertThatThrownBy(() -> puller().pull(ref("baddiff"), PullListener.NONE))
                .isInstanceOf(PullException.class)
                .hasMessageContaining("DiffID");
        assertThat(store.layers().list()).isEmpty();
    }

    @Test
    void selectsThePlatformFromAnIndex() throws IOException {
        Registries registries =
                new Registries(TransportOptions.defaults().withPlainHttp(true), CredentialStore.anonymous());
        for (var platform : List.of(TestImages.AMD64, TestImages.ARM64)) {
            Puller p = new Puller(
                    store,
                    registries,
                    LayerUnpacker.unionFs(),
                    PullOptions.defaults().withPlatform(platform));
            PullResult r = p.pull(ref("multi"), PullListener.NONE);
            // In full, with the variant: arm64 without one means arm64/v8.
            assertThat(r.image().platform())
                    .isEqualTo(platform.equals(TestImages.ARM64) ? "linux/arm64/v8" : platform.toString());
            assertThat(r.image().indexDigest()).isNotNull();
            assertThat(store.layout().diffDir(r.image().topChainId()).resolve("etc/arch"))
                    .hasContent(platform.architecture());
        }
        Puller p = new Puller(
                store,
                registries,
                LayerUnpacker.unionFs(),
                PullOptions.defaults().withPlatform(dev.berth.oci.Platform.parse("linux/s390x")));
        assertThatThrownBy(() -> p.pull(ref("multi"), PullListener.NONE))
                .hasMessageContaining("no manifest for platform linux/s390x");
    }

    @Test
    void openingTheStoreRemovesWhatACrashedPullLeft() throws IOException {
        Path stale = root.resolve("layers/.tmp-crashed/diff/etc");
        Files.createDirectories(stale);
        Files.writeString(stale.resolve("half"), "half-applied");
        Files.createSymbolicLink(root.resolve("l/DANGLINGDANGLINGDANGLING00"), Path.of("../layers/nothing/diff"));

        Store reopened = Store.open(root);

        assertThat(root.resolve("layers/.tmp-crashed")).doesNotExist();
        assertThat(Files.exists(root.resolve("l/DANGLINGDANGLINGDANGLING00"), LinkOption.NOFOLLOW_LINKS))
                .isFalse();
        assertThat(reopened.layers().list()).isEmpty();
    }

    @Test
    void rmAndPruneRemoveUnreferencedLayersAndLinks() throws IOException {
        Puller p = puller();
        p.pull(ref("base"), PullListener.NONE);
        p.pull(ref("app"), PullListener.NONE);
        assertThat(store.layers().list()).hasSize(3);

        store.images().remove(ref("app").toString());
        assertThat(store.prune()).hasSize(2);
        assertThat(store.layers().list()).hasSize(1);
        try (Stream<Path> links = Files.list(root.resolve("l"))) {
            assertThat(links).hasSize(1);
        }
        store.images().remove(ref("base").toString());
        store.prune();
        assertThat(store.layers().list()).isEmpty();
        try (Stream<Path> links = Files.list(root.resolve("l"))) {
            assertThat(links).isEmpty();
        }
    }

    private long layerGets(dev.berth.puller.testing.OciLayout.Layer layer) {
        String suffix = "/blobs/" + Digest.sha256(layer.blob());
        return proxy.requests().stream()
                .filter(r -> r.isBlobGet() && r.path().endsWith(suffix))
                .count();
    }
}
