package dev.berth.puller.pull;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.oci.ImageReference;
import dev.berth.puller.registry.Backoff;
import dev.berth.puller.registry.CredentialStore;
import dev.berth.puller.registry.Registries;
import dev.berth.puller.registry.TransportOptions;
import dev.berth.puller.store.ChainIds;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.store.Store;
import dev.berth.puller.testing.TestImages;
import dev.berth.puller.testing.TestProxy;
import dev.berth.puller.testing.TestRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A layer's kept compressed bytes (what a killed pull left in {@code downloads/<chainid>.partial}) are resumed
 * with Range, and whatever is wrong with them (a registry that ignores Range, a corrupt or overlong file) still
 * ends in a correct layer.
 */
class KeptDownloadTest {
    private static Path work;
    private static TestRegistry registry;
    private static TestProxy proxy;
    private static TestImages images;
    private static Digest bigChainId;

    private Path root;
    private Store store;
    private byte[] blob;
    private String blobPath;

    @BeforeAll
    static void start() throws IOException {
        work = Files.createTempDirectory("berth-kept-test");
        registry = TestRegistry.start(work.resolve("registry"));
        images = TestImages.build(work.resolve("layout"));
        registry.push(images.layout.dir(), "big", "kept/img:big");
        proxy = new TestProxy(registry.host());
        bigChainId = ChainIds.of(List.of(images.baseLayer.diffId(), images.bigLayer.diffId()))
                .get(1);
    }

    @AfterAll
    static void stop() throws IOException {
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
        blob = images.bigLayer.blob();
        blobPath = "/blobs/" + Digest.sha256(blob);
    }

    private PullResult pull() throws IOException {
        Puller puller = new Puller(
                store,
                new Registries(TransportOptions.defaults().withPlainHttp(true), CredentialStore.anonymous()),
                LayerUnpacker.unionFs(),
                PullOptions.defaults().withPlatform(TestImages.AMD64).withBackoff(Backoff.fast(4)));
        return puller.pull(ImageReference.parse(proxy.host() + "/kept/img:big"), PullListener.NONE);
    }

    private void keep(byte[] bytes) throws IOException {
        Path partial = store.layers().partialBlob(bigChainId);
        Files.createDirectories(partial.getParent());
        Files.write(partial, bytes);
    }

    /** The Range headers of the requests for the big layer, in order ("" for none). */
    private List<String> bigLayerRanges() {
        return proxy.requests().stream()
                .filter(r -> r.isBlobGet() && r.path().endsWith(blobPath))
                .map(r -> r.header("Range") == null ? "" : r.header("Range"))
                .toList();
    }

    private void assertPulledCorrectly(PullResult r) throws IOException {
        assertThat(r.image().topChainId()).isEqualTo(bigChainId);
        assertThat(store.layout().diffDir(bigChainId).resolve("data/random.bin"))
                .hasSize(3 * 1024 * 1024);
        assertThat(store.layers().partialBlob(bigChainId)).doesNotExist();
    }

    @Test
    void keptPrefixIsResumedWithRange() throws IOException {
        int half = blob.length / 2;
        keep(Arrays.copyOf(blob, half));
        PullResult r = pull();
        assertPulledCorrectly(r);
        assertThat(bigLayerRanges()).containsExactly("bytes=" + half + "-");
        // Only the rest came over the network (plus the small base layer).
        assertThat(r.bytesFetched()).isLessThan(blob.length - half + images.baseLayer.blob().length + 1);
    }

    @Test
    void registryIgnoringRangeStillGivesTheRightLayer() throws IOException {
        keep(Arrays.copyOf(blob, blob.length / 2));
        proxy.addRule(req -> req.isBlobGet() ? new TestProxy.Action.IgnoreRange() : null);
        assertPulledCorrectly(pull());
        assertThat(bigLayerRanges()).hasSize(1);
    }

    @Test
    void corruptKeptBytesRestartTheLayerFromZero() throws IOException {
        byte[] corrupt = Arrays.copyOf(blob, blob.length / 2);
        corrupt[corrupt.length - 10] ^= (byte) 0xff;
        keep(corrupt);
        assertPulledCorrectly(pull());
        assertThat(bigLayerRanges()).containsExactly("bytes=" + corrupt.length + "-", "");
    }

    @Test
    void keptFileLongerThanTheBlobIsDropped() throws IOException {
        keep(Arrays.copyOf(blob, blob.length + 100));
        assertPulledCorrectly(pull());
        assertThat(bigLayerRanges()).containsExactly("");
    }

    @Test
    void pruneDropsKeptBytesNobodyIsResuming() throws IOException {
        keep(Arrays.copyOf(blob, 1000));
        try (var downloading = store.layers().lockDownload(bigChainId)) {
            store.prune();
            assertThat(store.layers().partialBlob(bigChainId)).hasSize(1000);
        }
        store.prune();
        assertThat(store.layers().partialBlob(bigChainId)).doesNotExist();
    }

    @Test
    void completeKeptBlobNeedsNoRequest() throws IOException {
        keep(blob);
        assertPulledCorrectly(pull());
        assertThat(bigLayerRanges()).isEmpty();
    }
}
