package dev.berth.puller.snapshot;

import dev.berth.oci.Digest;
import dev.berth.puller.snapshot.SnapshotException.Code;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.store.LayerInfo;
import dev.berth.puller.store.SnapshotRecord;
import dev.berth.puller.store.SnapshotRecord.Kind;
import dev.berth.puller.store.SnapshotStore;
import dev.berth.puller.store.Store;
import dev.berth.puller.store.StoreLock;
import dev.berth.unionfs.mount.MountPlanner;
import dev.berth.unionfs.mount.MountSpec;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * containerd's snapshotter contract on a Berth store.
 *
 * <p>Vocabulary. A snapshot is <em>active</em> (writable: an upper directory stacked on its parent chain),
 * a <em>view</em> (a read-only stack of its parent chain) or <em>committed</em> (immutable, a parent for
 * others). {@link #prepare} and {@link #view} make the first two, {@link #commit} turns an active snapshot
 * into a committed one under a new name. Keys are per containerd namespace (see {@link #namespace}).
 *
 * <p>Committed snapshots and Berth's layers are the same thing where possible: containerd names an unpacked
 * layer's snapshot by its ChainID (after checking the layer's DiffID), so such a commit moves the upper
 * directory into {@code layers/<chainid>} where {@code berth-pull} finds it; and a {@link #prepare} whose
 * {@code containerd.io/snapshot.ref} label names a ChainID the store already holds (pulled by
 * {@code berth-pull} or the agent) commits that layer at once and answers {@link Code#ALREADY_EXISTS},
 * which tells containerd to neither fetch nor apply it (a <em>remote snapshot</em>).
 *
 * <p>Every change happens under the store lock, the one the CLI and the agent take, and is ordered so that
 * a crash leaves nothing but what {@link #cleanup} removes. Mounts are returned as data; containerd mounts.
 */
public final class Snapshotter {
    /** The label containerd's unpacker sets to the ChainID of the layer it is about to unpack. */
    public static final String REF_LABEL = "containerd.io/snapshot.ref";
    /** The image a layer belongs to, as CRI labels it. */
    public static final String CRI_IMAGE_LABEL = "containerd.io/snapshot/cri.image-ref";
    /** Where keys of callers without a namespace go. */
    public static final String DEFAULT_NAMESPACE = "default";
    /** A key as containerd's metadata layer makes it: {@code <namespace>/<sequence>/<name>}. */
    private static final Pattern METADATA_KEY = Pattern.compile("([A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*)/\\d+/");
    /** A committed name that ends in a ChainID, as containerd's unpacker writes them ("ns/12/sha256:..."). */
    private static final Pattern CHAIN_NAME = Pattern.compile("(?:^|[/ ])(sha256:[0-9a-f]{64})$");
    /**
     * No page limit: containerd mounts, and for a long overlay it mounts from the lower dirs' common parent
     * with relative paths itself. Layers' lower dirs are their short links in {@code l/}, so that common parent
     * is {@code l/} and every layer costs 27 bytes of mount data, as with overlay2.
     */
    private static final MountPlanner PLANNER = new MountPlanner().withPageSize(Integer.MAX_VALUE);
    /** MountSpec wants a target; containerd chooses the real one. */
    private static final Path ANYWHERE = Path.of("/");

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Snapshotter.class.getName());

    private final Store store;
    private final SnapshotStore records;
    private final MissingLayers missing;

    public Snapshotter(Store store) {
        this(store, MissingLayers.NONE);
    }

    /** With {@code missing}, a layer CRI asks for that the store lacks is pulled by Berth before containerd would. */
    public Snapshotter(Store store, MissingLayers missing) {
        this.store = store;
        this.records = store.snapshots();
        this.missing = missing;
    }

    /** A new active snapshot {@code key} on {@code parent} (empty for none). */
    public List<SnapshotMount> prepare(String caller, String key, String parent, Map<String, String> labels)
            throws SnapshotException, IOException {
        String ns = namespace(caller, key);
        fetchMissing(labels);
        try (StoreLock.Held held = store.lock()) {
            requireAbsent(ns, key);
            SnapshotRecord p = parentOf(ns, parent);
            String ref = labels.get(REF_LABEL);
            Optional<Digest> remote = ref == null ? Optional.empty() : heldLayer(ref, p);
            long now = System.currentTimeMillis();
            if (remote.isPresent()) {
                records.put(new SnapshotRecord(
                        ns, key, Kind.COMMITTED, blankToNull(parent), labels, now, now, null, remote.get()));
                store.layers().touch(remote.get());
                throw new SnapshotException(Code.ALREADY_EXISTS, "target snapshot " + ref + " is in berth's store");
            }
            String dir = records.createDir(true);
            SnapshotRecord r =
                    new SnapshotRecord(ns, key, Kind.ACTIVE, blankToNull(parent), labels, now, now, dir, null);
            records.put(r);
            return mounts(r);
        }
    }

    /** A read-only view {@code key} of {@code parent} (empty for an empty view). */
    public List<SnapshotMount> view(String caller, String key, String parent, Map<String, String> labels)
            throws SnapshotException, IOException {
        String ns = namespace(caller, key);
        try (StoreLock.Held held = store.lock()) {
            requireAbsent(ns, key);
            SnapshotRecord p = parentOf(ns, parent);
            long now = System.currentTimeMillis();
            String dir = p == null ? records.createDir(false) : null;
            SnapshotRecord r = new SnapshotRecord(ns, key, Kind.VIEW, blankToNull(parent), labels, now, now, dir, null);
            records.put(r);
            return mounts(r);
        }
    }

    public List<SnapshotMount> mounts(String caller, String key) throws SnapshotException, IOException {
        String ns = namespace(caller, key);
        try (StoreLock.Held held = store.lock()) {
            return mounts(require(ns, key));
        }
    }

    /** Turns the active snapshot {@code key} into the committed snapshot {@code name}. */
    public void commit(String caller, String name, String key, Map<String, String> labels)
            throws SnapshotException, IOException {
        String ns = namespace(caller, key);
        try (StoreLock.Held held = store.lock()) {
            SnapshotRecord active = require(ns, key);
            if (active.kind() != Kind.ACTIVE) {
                throw new SnapshotException(Code.FAILED_PRECONDITION, key + " is not an active snapshot");
            }
            requireAbsent(ns, name);
            SnapshotRecord p = active.parent() == null
                    ? null
                    : records.get(ns, active.parent()).orElse(null);
            Optional<Digest> chainId = chainIdOf(name);
            long now = System.currentTimeMillis();
            SnapshotRecord committed;
            if (chainId.isPresent() && (p == null || p.layer() != null)) {
                Path fs = records.fsDir(active.dir());
                Digest parentLayer = p == null ? null : p.layer();
                // A base layer's ChainID is its DiffID; above that the DiffID is not in the name.
                LayerInfo info = new LayerInfo(
                        chainId.get(),
                        parentLayer == null ? chainId.get() : null,
                        parentLayer,
                        null,
                        null,
                        0,
                        FsUtil.treeSize(fs),
                        now);
                store.layers().adopt(fs, info);
                committed = new SnapshotRecord(
                        ns, name, Kind.COMMITTED, active.parent(), labels, now, now, null, chainId.get());
            } else {
                committed = new SnapshotRecord(
                        ns, name, Kind.COMMITTED, active.parent(), labels, now, now, active.dir(), null);
            }
            records.put(committed);
            records.delete(ns, key);
            if (committed.dir() == null) {
                // The upper directory became (or lost the race to) a layer: what is left is work/.
                records.deleteDir(active.dir());
            }
        }
    }

    /** Removes a snapshot without children; a layer goes with it only when nothing else uses that layer. */
    public void remove(String caller, String key) throws SnapshotException, IOException {
        String ns = namespace(caller, key);
        try (StoreLock.Held held = store.lock()) {
            SnapshotRecord r = require(ns, key);
            for (SnapshotRecord other : records.list(ns)) {
                if (key.equals(other.parent())) {
                    throw new SnapshotException(Code.FAILED_PRECONDITION, key + " has children (" + other.key() + ")");
                }
            }
            records.delete(ns, key);
            // A crash inside a commit can leave the active and the committed record naming one directory.
            if (r.dir() != null
                    && records.listAll().stream().noneMatch(o -> r.dir().equals(o.dir()))) {
                records.deleteDir(r.dir());
            }
            if (r.layer() != null) {
                store.removeIfUnused(r.layer());
            }
        }
    }

    public SnapshotRecord stat(String caller, String key) throws SnapshotException, IOException {
        String ns = namespace(caller, key);
        return require(ns, key);
    }

    /**
     * Changes labels, the only mutable part: {@code paths} empty or holding {@code labels} replaces them all;
     * {@code labels.<key>} sets that label, or deletes it when {@code labels} has no such key.
     */
    public SnapshotRecord update(String caller, String key, Map<String, String> labels, List<String> paths)
            throws SnapshotException, IOException {
        String ns = namespace(caller, key);
        try (StoreLock.Held held = store.lock()) {
            SnapshotRecord r = require(ns, key);
            Map<String, String> next = new HashMap<>(r.labels());
            if (paths.isEmpty()) {
                next = new HashMap<>(labels);
            }
            for (String path : paths) {
                if (path.equals("labels")) {
                    next = new HashMap<>(labels);
                } else if (path.startsWith("labels.")) {
                    String label = path.substring("labels.".length());
                    if (labels.containsKey(label)) {
                        next.put(label, labels.get(label));
                    } else {
                        next.remove(label);
                    }
                } else {
                    throw new SnapshotException(Code.INVALID_ARGUMENT, "cannot update " + path + " of a snapshot");
                }
            }
            SnapshotRecord updated = r.withLabels(next, System.currentTimeMillis());
            records.put(updated);
            return updated;
        }
    }

    /** The snapshots of the caller's namespace; of all namespaces for containerd itself (no header). */
    public List<SnapshotRecord> list(String caller) throws SnapshotException, IOException {
        if (caller == null) {
            return records.listAll();
        }
        checkNamespace(caller);
        return records.list(caller);
    }

    /** Bytes and inodes of the snapshot's own files (not its parents'); hard links count once. */
    public Usage usage(String caller, String key) throws SnapshotException, IOException {
        String ns = namespace(caller, key);
        SnapshotRecord r = require(ns, key);
        Path dir =
                r.layer() != null ? store.layout().diffDir(r.layer()) : r.dir() != null ? records.fsDir(r.dir()) : null;
        return dir == null ? new Usage(0, 0) : Usage.of(dir);
    }

    /** Deletes what no snapshot uses any more (after crashes): see {@link Store#cleanupSnapshots()}. */
    public int cleanup() throws IOException {
        return store.cleanupSnapshots();
    }

    /** Disk use of one snapshot. */
    public record Usage(long size, long inodes) {
        static Usage of(Path dir) throws IOException {
            Set<Object> seen = new HashSet<>();
            long[] size = {0};
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    seen.add(attrs.fileKey());
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (seen.add(attrs.fileKey()) && !attrs.isDirectory()) {
                        size[0] += attrs.size();
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
            return new Usage(size[0], seen.size());
        }
    }

    private List<SnapshotMount> mounts(SnapshotRecord r) throws SnapshotException, IOException {
        MountSpec spec = switch (r.kind()) {
            case ACTIVE -> PLANNER.writable(parentDirs(r), records.fsDir(r.dir()), records.workDir(r.dir()), ANYWHERE);
            case VIEW -> PLANNER.readOnly(r.dir() != null ? List.of(records.fsDir(r.dir())) : parentDirs(r), ANYWHERE);
            case COMMITTED ->
                throw new SnapshotException(
                        Code.FAILED_PRECONDITION,
                        r.key() + " is committed: only active snapshots and views have mounts");
        };
        if (spec.type().equals(MountSpec.BIND)) {
            // A single layer's lower dir is its short link: hand containerd the directory itself.
            return List.of(new SnapshotMount(
                    "bind",
                    Path.of(spec.source()).toRealPath().toString(),
                    List.of(spec.readOnly() ? "ro" : "rw", "rbind")));
        }
        List<String> options = new ArrayList<>(spec.options());
        return List.of(new SnapshotMount(MountSpec.OVERLAY, MountSpec.OVERLAY, options));
    }

    /** The directories below a snapshot, topmost first. */
    private List<Path> parentDirs(SnapshotRecord r) throws SnapshotException, IOException {
        List<Path> out = new ArrayList<>();
        String parent = r.parent();
        while (parent != null) {
            SnapshotRecord p = records.get(r.namespace(), parent)
                    .orElseThrow(() -> new SnapshotException(
                            Code.FAILED_PRECONDITION, "parent " + r.parent() + " of " + r.key() + " is gone"));
            if (p.layer() != null) {
                out.addAll(store.layers().lowerDirs(p.layer()));
                break;
            }
            out.add(records.fsDir(p.dir()));
            parent = p.parent();
        }
        return out;
    }

    /** Pulls the image of a CRI layer the store lacks, outside the store lock (the pull takes it to commit). */
    private void fetchMissing(Map<String, String> labels) throws IOException {
        String ref = labels.get(REF_LABEL);
        String image = labels.get(CRI_IMAGE_LABEL);
        if (missing == MissingLayers.NONE
                || ref == null
                || image == null
                || !Digest.isValid(ref)
                || store.layers().exists(Digest.parse(ref))) {
            return;
        }
        try {
            missing.fetch(image, Digest.parse(ref));
        } catch (IOException | RuntimeException e) {
            // containerd fetches and unpacks it then, as without Berth.
            LOG.warning(() -> "berth could not pull " + image + " for layer " + ref + ": " + e.getMessage());
        }
    }

    /** The store's layer named by a snapshot.ref label, when it sits exactly on {@code parent}'s layer. */
    private Optional<Digest> heldLayer(String ref, SnapshotRecord parent) throws IOException {
        if (!Digest.isValid(ref) || (parent != null && parent.layer() == null)) {
            return Optional.empty();
        }
        Digest chainId = Digest.parse(ref);
        Optional<LayerInfo> info = store.layers().info(chainId);
        Digest expectedParent = parent == null ? null : parent.layer();
        if (info.isEmpty() || !java.util.Objects.equals(info.get().parent(), expectedParent)) {
            return Optional.empty();
        }
        return Optional.of(chainId);
    }

    static Optional<Digest> chainIdOf(String name) {
        Matcher m = CHAIN_NAME.matcher(name);
        return m.find() ? Optional.of(Digest.parse(m.group(1))) : Optional.empty();
    }

    private SnapshotRecord parentOf(String ns, String parent) throws SnapshotException, IOException {
        if (parent == null || parent.isEmpty()) {
            return null;
        }
        SnapshotRecord p = records.get(ns, parent)
                .orElseThrow(
                        () -> new SnapshotException(Code.NOT_FOUND, "parent snapshot " + parent + " does not exist"));
        if (p.kind() != Kind.COMMITTED) {
            throw new SnapshotException(Code.FAILED_PRECONDITION, "parent " + parent + " is not committed");
        }
        return p;
    }

    private SnapshotRecord require(String ns, String key) throws SnapshotException, IOException {
        checkNamespace(ns);
        return records.get(ns, key)
                .orElseThrow(() -> new SnapshotException(Code.NOT_FOUND, "snapshot " + key + " does not exist"));
    }

    private void requireAbsent(String ns, String key) throws SnapshotException, IOException {
        checkNamespace(ns);
        if (key == null || key.isEmpty()) {
            throw new SnapshotException(Code.INVALID_ARGUMENT, "empty snapshot key");
        }
        if (records.get(ns, key).isPresent()) {
            throw new SnapshotException(Code.ALREADY_EXISTS, "snapshot " + key + " already exists");
        }
    }

    /**
     * The namespace a key lives in. containerd's metadata layer hands its snapshotters keys of the form
     * {@code <namespace>/<n>/<name>} and sends the {@code containerd-namespace} header on some paths only (CRI's
     * in-process calls carry it, calls relayed from clients such as ctr do not), so that prefix decides; other
     * callers' keys live in the header's namespace, or in {@value #DEFAULT_NAMESPACE} without one.
     */
    static String namespace(String caller, String key) throws SnapshotException {
        if (caller != null) {
            checkNamespace(caller);
        }
        Matcher m = METADATA_KEY.matcher(key == null ? "" : key);
        String ns = m.lookingAt() ? m.group(1) : caller == null ? DEFAULT_NAMESPACE : caller;
        checkNamespace(ns);
        return ns;
    }

    private static void checkNamespace(String ns) throws SnapshotException {
        if (!SnapshotStore.validNamespace(ns)) {
            throw new SnapshotException(Code.INVALID_ARGUMENT, "invalid namespace: " + ns);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
