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
import java.nio.file.Files;
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
        ImageRecord image = store.images().get(reference)
                .orElseThrow(() -> new IOException("no such image: " + reference + " (pull it first)"));
        Path t = target.toAbsolutePath().normalize();
        Files.createDirectories(t);
        if (mounter.isMountPoint(t)) {
            throw new IOException(t + " is already a mount point");
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
        Path t = target.toAbsolutePath().normalize();
        if (mounter.isMountPoint(t)) {
            mounter.unmount(t);
        } else if (store.mount(t).isEmpty()) {
            throw new IOException(t + " is not mounted by berth");
        }
        store.removeMount(t);
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
