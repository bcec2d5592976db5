package dev.berth.puller.store;

import dev.berth.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The whole on-disk tree of a store, drawn once; every path is built here. The layer part is the layout of
 * Docker's overlay2 driver, so its directories mount the same way:
 *
 * <pre>
 * &lt;root&gt;/                              default /var/lib/berth
 *   berth.lock                          FileChannel lock: one process at a time changes metadata
 *   layers/
 *     .tmp-&lt;random&gt;/                   an ingest in progress (never mounted, removed when stale)
 *       diff/                           the layer being applied
 *       ingest.lock                     held by the pulling process while the ingest is alive
 *     &lt;chainid-hex&gt;/                   a committed layer, keyed by ChainID (so shared layers are stored once)
 *       diff/                           its files; whiteouts already converted for overlay
 *       link                            the 26-character short name of its l/ symlink
 *       lower                           "l/&lt;short&gt;:l/&lt;short&gt;:..." of the layers below, nearest first;
 *                                       absent for a base layer
 *       work/                           overlay work directory (overlay2 compatibility)
 *       layer.json                      ChainID, DiffID, parent ChainID, blob digest, size on disk
 *       last-used                       empty; its mtime is the last pull or mount that used the layer
 *   l/&lt;short&gt; -&gt; ../layers/&lt;chainid-hex&gt;/diff    keeps long lower chains within one page of mount options
 *   downloads/
 *     &lt;chainid-hex&gt;.lock             FileChannel lock: one process downloads a layer, the others wait and reuse it
 *     &lt;chainid-hex&gt;.partial          the compressed bytes received so far (a prefix of the blob), kept
 *                                       across a killed pull so the next one resumes with Range; deleted on commit
 *                                       (and by prune when no pull holds the lock)
 *   images/&lt;sha256-hex of "reference platform"&gt;.json   image records, one per reference and platform
 *                                       (a record named by the reference alone is from an older berth)
 *   mounts/&lt;sha256-hex of target&gt;/                one per mount made by berth
 *     mount.json                        target, image, layers and options
 *     upper/  work/                     the writable layer of a --writable mount or bundle
 *   snapshots/                          containerd's snapshots (the snapshotter)
 *     meta/&lt;namespace&gt;/&lt;sha256-hex of key&gt;.json   one record per snapshot: kind, parent, labels, backing
 *     dirs/&lt;id&gt;/fs/  work/               an active snapshot's upper and work directory (or a view's empty fs/)
 * </pre>
 *
 * A committed snapshot whose name ends in a ChainID lives in {@code layers/} like a pulled layer; any other
 * committed snapshot keeps its {@code dirs/<id>/fs}.
 *
 * A directory under {@code layers/} whose name is a ChainID exists only once complete and verified, and then
 * its parent layer exists too: layers are committed bottom-up.
 */
public final class StoreLayout {
    public static final String DEFAULT_ROOT = "/var/lib/berth";
    static final String TMP_PREFIX = ".tmp-";

    private final Path root;

    public StoreLayout(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    public Path lockFile() {
        return root.resolve("berth.lock");
    }

    public Path layersDir() {
        return root.resolve("layers");
    }

    public Path layerDir(Digest chainId) {
        return layersDir().resolve(chainId.hex());
    }

    public Path diffDir(Digest chainId) {
        return layerDir(chainId).resolve("diff");
    }

    public Path linkFile(Digest chainId) {
        return layerDir(chainId).resolve("link");
    }

    public Path lowerFile(Digest chainId) {
        return layerDir(chainId).resolve("lower");
    }

    public Path workDir(Digest chainId) {
        return layerDir(chainId).resolve("work");
    }

    public Path layerMeta(Digest chainId) {
        return layerDir(chainId).resolve("layer.json");
    }

    public Path lastUsedFile(Digest chainId) {
        return layerDir(chainId).resolve("last-used");
    }

    public Path ingestDir(String random) {
        return layersDir().resolve(TMP_PREFIX + random);
    }

    public Path downloadsDir() {
        return root.resolve("downloads");
    }

    public Path downloadLock(Digest chainId) {
        return downloadsDir().resolve(chainId.hex() + ".lock");
    }

    public Path partialBlob(Digest chainId) {
        return downloadsDir().resolve(chainId.hex() + ".partial");
    }

    public Path shortLinksDir() {
        return root.resolve("l");
    }

    public Path shortLink(String shortName) {
        return shortLinksDir().resolve(shortName);
    }

    /** The target of a short link, relative to the link as overlay2 writes it. */
    public static Path shortLinkTarget(Digest chainId) {
        return Path.of("..", "layers", chainId.hex(), "diff");
    }

    public Path imagesDir() {
        return root.resolve("images");
    }

    /** Where older versions kept the one record of a reference, whatever its platform. */
    public Path imageRecord(String reference) {
        return imagesDir()
                .resolve(Digest.sha256(reference.getBytes(StandardCharsets.UTF_8))
                                .hex() + ".json");
    }

    /** The record of one platform of a reference. */
    public Path imageRecord(String reference, String platform) {
        return imageRecord(reference + " " + platform);
    }

    public Path mountsDir() {
        return root.resolve("mounts");
    }

    public Path snapshotsMetaDir() {
        return root.resolve("snapshots").resolve("meta");
    }

    /** Records of one containerd namespace; the name is checked by the snapshot store before it gets here. */
    public Path snapshotNamespaceDir(String namespace) {
        return snapshotsMetaDir().resolve(namespace);
    }

    public Path snapshotRecord(String namespace, String key) {
        return snapshotNamespaceDir(namespace)
                .resolve(Digest.sha256(key.getBytes(StandardCharsets.UTF_8)).hex() + ".json");
    }

    public Path snapshotDirsDir() {
        return root.resolve("snapshots").resolve("dirs");
    }

    public Path snapshotDir(String id) {
        return snapshotDirsDir().resolve(id);
    }

    public Path mountDir(Path target) {
        String key = target.toAbsolutePath().normalize().toString();
        return mountsDir()
                .resolve(Digest.sha256(key.getBytes(StandardCharsets.UTF_8)).hex());
    }
}
