package dev.berth.puller.mount;

import dev.berth.oci.Digest;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.store.ImageRecord;
import dev.berth.puller.store.MountRecord;
import dev.berth.puller.store.Store;
import dev.berth.puller.store.StoreLock;
import dev.berth.unionfs.mount.MountPlanner;
import dev.berth.unionfs.mount.MountSpec;
import dev.berth.unionfs.mount.Mounter;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Mounts pulled images: the image's layers (through their short links) as overlay lower directories and,
 * for a writable mount, an upper and work directory private to the mount point. Planning and the system
 * calls are union-fs's ({@link MountPlanner}, {@link Mounter}); this class decides what to stack. A mount record pins the
 * layers against prune and eviction until {@link #unmount}.
 */
public final class ImageMounts {
    private final Store store;
    private final Mounter mounter;

    public ImageMounts(Store store, Mounter mounter) {
        this.store = store;
        this.mounter = mounter;
    }

    /**
     * Plans the mount of {@code image} at {@code target} without doing it: the layers' short links as lower
     * directories (top first) and, when writable, the mount's own upper and work directories. When the
     * absolute paths would not fit in a page of mount options, the planner switches to paths relative to
     * the store root, which is what the short links are for.
     */
    public MountSpec plan(ImageRecord image, Path target, boolean writable) throws IOException {
        Digest top = image.topChainId();
        List<Path> lower = top == null ? List.of() : store.layers().lowerDirs(top);
        MountPlanner planner = new MountPlanner().withLinkRoot(store.layout().root());
        if (!writable) {
            if (lower.isEmpty()) {
                throw new IOException(image.reference() + " has no layers: nothing to mount read-only");
            }
            return planner.readOnly(lower, target);
        }
        Path dir = store.layout().mountDir(target);
        return planner.writable(lower, dir.resolve("upper"), dir.resolve("work"), target);
    }

    public MountRecord mount(String reference, Path target, boolean writable) throws IOException {
        ImageRecord image = store.images()
                .get(reference)
                .orElseThrow(() -> new NoSuchFileException(reference, null, "no such image (pull it first)"));
        return mount(image, target, writable);
    }

    /**
     * Mounts {@code image} at {@code target}. A writable mount continues with the writable layer an earlier
     * writable mount of the same target left behind (see {@link #unmount(Path, boolean)}).
     */
    public MountRecord mount(ImageRecord image, Path target, boolean writable) throws IOException {
        Path t = target.toAbsolutePath().normalize();
        Files.createDirectories(t);
        if (mounter.isMountPoint(t)) {
            throw new FileAlreadyExistsException(
                    t.toString(),
                    null,
                    "already a mount point"
                            + store.mount(t)
                                    .map(m -> " (of " + m.reference() + ": unmount it first)")
                                    .orElse(""));
        }
        MountRecord record = new MountRecord(t.toString(), image.reference(), image.chainIds(), writable);
        try (StoreLock.Held held = store.lock()) {
            MountSpec plan = plan(image, t, writable);
            if (writable) {
                Files.createDirectories(store.layout().mountDir(t).resolve("upper"));
                Files.createDirectories(store.layout().mountDir(t).resolve("work"));
            }
            // Recorded first: once the record exists, prune leaves these layers alone.
            store.putMount(t, record);
            try {
                mounter.mount(plan);
            } catch (IOException | RuntimeException e) {
                store.removeMount(t);
                throw e;
            }
            image.chainIds().forEach(store.layers()::touch);
        }
        return record;
    }

    /** Unmounts (when still mounted) and forgets the mount, deleting its writable layer. */
    public void unmount(Path target) throws IOException {
        unmount(target, true);
    }

    /**
     * Unmounts {@code target} (when still mounted) and forgets the mount. Its writable layer is deleted when
     * {@code discard}, and kept otherwise; with {@code discard}, a writable layer left by an earlier unmount of
     * the same target is deleted too.
     *
     * @return the kept writable layer, or null when none was kept
     */
    public Path unmount(Path target, boolean discard) throws IOException {
        Path t = target.toAbsolutePath().normalize();
        Path kept = keptUpper(t);
        if (mounter.isMountPoint(t)) {
            mounter.unmount(t);
        } else if (store.mount(t).isEmpty() && !(discard && kept != null)) {
            throw new NoSuchFileException(
                    t.toString(), null, "not mounted by berth (`berth-pull mounts` lists " + "what is)");
        }
        if (discard) {
            store.removeMount(t);
            return null;
        }
        return store.forgetMount(t);
    }

    /** The writable layer of a mount at {@code target}, active or left by an unmount, or null. */
    public Path keptUpper(Path target) {
        Path upper =
                store.layout().mountDir(target.toAbsolutePath().normalize()).resolve("upper");
        return Files.isDirectory(upper) ? upper : null;
    }

    /** A mount berth made, and whether it is still mounted (a manual umount leaves the record behind). */
    public record Active(MountRecord record, boolean mounted, Path upper) {}

    /** Every mount record, with whether its target is still a mount point. */
    public List<Active> list() throws IOException {
        List<Active> out = new java.util.ArrayList<>();
        for (MountRecord m : store.mounts()) {
            Path t = Path.of(m.target());
            out.add(new Active(m, mounter.isMountPoint(t), m.writable() ? keptUpper(t) : null));
        }
        out.sort(java.util.Comparator.comparing(a -> a.record().target()));
        return out;
    }

    /**
     * Forgets the mounts whose target is no longer a mount point (unmounted by hand), so that their layers are
     * no longer pinned; their writable layers are kept, as {@code unmount} keeps them.
     *
     * @return the forgotten mounts
     */
    public List<MountRecord> forgetStale() throws IOException {
        List<MountRecord> forgotten = new java.util.ArrayList<>();
        // Under the store lock, so a mount being made (recorded, then mounted, under the lock) is never taken for
        // stale.
        try (StoreLock.Held held = store.lock()) {
            for (MountRecord m : store.mounts()) {
                Path t = Path.of(m.target());
                if (!mounter.isMountPoint(t)) {
                    store.forgetMount(t);
                    forgotten.add(m);
                }
            }
        }
        return forgotten;
    }

    /** Removes a leftover mount directory tree (for tests and bundle cleanup). */
    static void deleteQuietly(Path p) {
        try {
            FsUtil.deleteTree(p);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
