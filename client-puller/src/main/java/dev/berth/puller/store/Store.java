package dev.berth.puller.store;

import dev.berth.oci.Digest;
import dev.berth.oci.OciJson;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A berth store on disk: layers, image records, mount records and containerd's snapshots under one root,
 * guarded by one lock. A layer stays while an image record, a mount or a snapshot uses it or a layer above it.
 * All state lives in the files, so a restarted process (CLI or agent) simply opens the store again.
 */
public final class Store {
    private final StoreLayout layout;
    private final StoreLock lock;
    private final LayerStore layers;
    private final ImageStore images;
    private final SnapshotStore snapshots;

    private Store(StoreLayout layout) {
        this.layout = layout;
        this.lock = new StoreLock(layout.lockFile());
        this.layers = new LayerStore(layout, lock);
        this.images = new ImageStore(layout, lock);
        this.snapshots = new SnapshotStore(layout, lock);
    }

    /** Opens (creating if needed) the store at {@code root} and clears what a crashed process left behind. */
    public static Store open(Path root) throws IOException {
        StoreLayout layout = new StoreLayout(root);
        for (Path d : List.of(layout.layersDir(), layout.shortLinksDir(), layout.imagesDir(), layout.mountsDir())) {
            Files.createDirectories(d);
        }
        Store store = new Store(layout);
        store.layers.cleanStale();
        return store;
    }

    /** Whether {@code root} holds a store (so reading commands need not create one where none is). */
    public static boolean exists(Path root) {
        StoreLayout layout = new StoreLayout(root);
        return Files.isDirectory(layout.layersDir()) && Files.isDirectory(layout.imagesDir());
    }

    public StoreLayout layout() {
        return layout;
    }

    public LayerStore layers() {
        return layers;
    }

    public ImageStore images() {
        return images;
    }

    public SnapshotStore snapshots() {
        return snapshots;
    }

    public StoreLock.Held lock() {
        return lock.acquire();
    }

    /** Records a mount so its layers stay. */
    public void putMount(Path target, MountRecord record) throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            FsUtil.writeAtomically(
                    layout.mountDir(target).resolve("mount.json"),
                    OciJson.mapper().writeValueAsBytes(record));
        }
    }

    public Optional<MountRecord> mount(Path target) throws IOException {
        Path f = layout.mountDir(target).resolve("mount.json");
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        return Optional.of(OciJson.mapper().readValue(Files.readAllBytes(f), MountRecord.class));
    }

    public List<MountRecord> mounts() throws IOException {
        List<MountRecord> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(layout.mountsDir())) {
            for (Path d : dirs) {
                Path f = d.resolve("mount.json");
                if (Files.exists(f)) {
                    out.add(OciJson.mapper().readValue(Files.readAllBytes(f), MountRecord.class));
                }
            }
        }
        return out;
    }

    /**
     * Forgets a mount but keeps its writable layer ({@code upper/}), which a later writable mount of the same
     * target continues with.
     *
     * @return the kept writable layer, or null when the mount had none
     */
    public Path forgetMount(Path target) throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            Path dir = layout.mountDir(target);
            Files.deleteIfExists(dir.resolve("mount.json"));
            FsUtil.deleteTree(dir.resolve("work"));
            Path upper = dir.resolve("upper");
            if (Files.isDirectory(upper)) {
                return upper;
            }
            FsUtil.deleteTree(dir);
            return null;
        }
    }

    /** Forgets a mount and deletes its writable layer. */
    public void removeMount(Path target) throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            FsUtil.deleteTree(layout.mountDir(target));
        }
    }

    /** ChainIDs that image records, mounts or containerd snapshots use. */
    public Set<Digest> referencedLayers() throws IOException {
        Set<Digest> used = new HashSet<>();
        images.list().forEach(r -> used.addAll(r.chainIds()));
        mounts().forEach(m -> used.addAll(m.chainIds()));
        used.addAll(snapshotLayers());
        return used;
    }

    /** The layers containerd snapshots stand on: each snapshot's own layer and every layer below it. */
    public Set<Digest> snapshotLayers() throws IOException {
        Set<Digest> used = new HashSet<>();
        for (SnapshotRecord r : snapshots.listAll()) {
            Digest id = r.layer();
            while (id != null && used.add(id)) {
                id = layers.info(id).map(LayerInfo::parent).orElse(null);
            }
        }
        return used;
    }

    /**
     * Removes one layer when nothing uses it any more: no image record, mount or snapshot, and no layer on
     * top of it (containerd's Remove of the last snapshot on a layer).
     *
     * @return whether it was removed
     */
    public boolean removeIfUnused(Digest chainId) throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            if (!layers.exists(chainId)
                    || referencedLayers().contains(chainId)
                    || layers.list().stream().anyMatch(l -> chainId.equals(l.parent()))) {
                return false;
            }
            layers.remove(chainId);
            return true;
        }
    }

    /**
     * containerd's Cleanup: drops snapshot records whose layer or directory is gone, directories no record
     * names and ingests of crashed pulls.
     *
     * @return how many records and directories were removed
     */
    public int cleanupSnapshots() throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            int removed = 0;
            for (SnapshotRecord r : snapshots.listAll()) {
                if (r.layer() != null && !layers.exists(r.layer())) {
                    snapshots.delete(r.namespace(), r.key());
                    removed++;
                }
            }
            return removed + snapshots.cleanup() + layers.cleanStale();
        }
    }

    /**
     * Removes every layer that no image record and no mount uses, and their short links, and the kept bytes
     * of interrupted downloads that nobody is resuming now.
     *
     * @return the removed layers
     */
    public List<LayerInfo> prune() throws IOException {
        List<LayerInfo> removed = new ArrayList<>();
        try (StoreLock.Held held = lock.acquire()) {
            Set<Digest> used = referencedLayers();
            // Children first, so a crash mid-prune never leaves a layer without its parent.
            List<LayerInfo> all = new ArrayList<>(layers.list());
            all.sort(Comparator.comparingInt((LayerInfo l) -> depth(l, all)).reversed());
            for (LayerInfo l : all) {
                if (!used.contains(l.chainId())) {
                    layers.remove(l.chainId());
                    removed.add(l);
                }
            }
            layers.cleanStale();
            layers.dropKeptDownloads();
        }
        return removed;
    }

    /**
     * Evicts least-recently-used layers until the committed layers take at most {@code budgetBytes}, never
     * touching {@code protectedChainIds} or mounted layers. Evicting a layer also evicts the layers built on it
     * and the image records that need it. Unused layers go first, whatever the budget.
     *
     * @return the evicted layers, each with its reason and the image records removed with it
     */
    public List<Eviction> evict(long budgetBytes, Collection<Digest> protectedChainIds) throws IOException {
        List<Eviction> evicted = new ArrayList<>();
        try (StoreLock.Held held = lock.acquire()) {
            prune().forEach(l -> evicted.add(new Eviction(l, Eviction.Reason.UNUSED, List.of())));
            List<LayerInfo> all = new ArrayList<>(layers.list());
            long total = all.stream().mapToLong(LayerInfo::diskSize).sum();
            Set<Digest> keep = new HashSet<>(protectedChainIds);
            mounts().forEach(m -> keep.addAll(m.chainIds()));
            keep.addAll(snapshotLayers());
            Map<Digest, List<LayerInfo>> children = new HashMap<>();
            for (LayerInfo l : all) {
                if (l.parent() != null) {
                    children.computeIfAbsent(l.parent(), k -> new ArrayList<>()).add(l);
                }
            }
            List<LayerInfo> candidates = new ArrayList<>(
                    all.stream().filter(l -> !keep.contains(l.chainId())).toList());
            candidates.sort(Comparator.comparing(l -> layers.lastUsed(l.chainId())));
            Set<Digest> gone = new HashSet<>();
            for (LayerInfo victim : candidates) {
                if (total <= budgetBytes) {
                    break;
                }
                if (gone.contains(victim.chainId())) {
                    continue;
                }
                List<LayerInfo> subtree = new ArrayList<>();
                collect(victim, children, subtree);
                if (subtree.stream().anyMatch(l -> keep.contains(l.chainId()))) {
                    continue; // cannot happen for consistent records; be safe anyway
                }
                Set<Digest> ids = new HashSet<>();
                subtree.forEach(l -> ids.add(l.chainId()));
                Map<Digest, List<String>> imagesByLayer = new HashMap<>();
                for (ImageRecord r : images.list()) {
                    // The record goes with the lowest of its layers evicted here (the one it is logged with).
                    Optional<Digest> lowest =
                            r.chainIds().stream().filter(ids::contains).findFirst();
                    if (lowest.isPresent()) {
                        imagesByLayer
                                .computeIfAbsent(lowest.get(), k -> new ArrayList<>())
                                .add(r.reference());
                        images.remove(r.reference());
                    }
                }
                for (int i = subtree.size() - 1; i >= 0; i--) {
                    LayerInfo l = subtree.get(i);
                    if (gone.add(l.chainId())) {
                        layers.remove(l.chainId());
                        total -= l.diskSize();
                        evicted.add(new Eviction(
                                l, Eviction.Reason.OVER_BUDGET, imagesByLayer.getOrDefault(l.chainId(), List.of())));
                    }
                }
            }
        }
        return evicted;
    }

    /** Total bytes of committed layers. */
    public long diskUsage() throws IOException {
        return layers.list().stream().mapToLong(LayerInfo::diskSize).sum();
    }

    private static void collect(LayerInfo l, Map<Digest, List<LayerInfo>> children, List<LayerInfo> out) {
        out.add(l);
        for (LayerInfo c : children.getOrDefault(l.chainId(), List.of())) {
            collect(c, children, out);
        }
    }

    private static int depth(LayerInfo l, List<LayerInfo> all) {
        Map<Digest, LayerInfo> byId = new HashMap<>();
        all.forEach(x -> byId.put(x.chainId(), x));
        int d = 0;
        LayerInfo cur = l;
        while (cur != null && cur.parent() != null && d < 10_000) {
            cur = byId.get(cur.parent());
            d++;
        }
        return d;
    }
}
