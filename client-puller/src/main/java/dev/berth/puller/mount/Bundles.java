package dev.berth.puller.mount;

import dev.berth.puller.store.FsUtil;
import dev.berth.puller.store.ImageRecord;
import dev.berth.puller.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * OCI runtime bundles: {@code DIR/config.json} from the image config and {@code DIR/rootfs} a writable
 * overlay of the image, ready for {@code runc run --bundle DIR}.
 */
public final class Bundles {
    private final Store store;
    private final ImageMounts mounts;

    public Bundles(Store store, ImageMounts mounts) {
        this.store = store;
        this.mounts = mounts;
    }

    public Path create(String reference, Path dir) throws IOException {
        ImageRecord image = store.images().get(reference)
                .orElseThrow(() -> new IOException("no such image: " + reference + " (pull it first)"));
        Path bundle = dir.toAbsolutePath().normalize();
        Files.createDirectories(bundle);
        if (Files.exists(bundle.resolve("config.json"))) {
            throw new IOException(bundle + " already holds a bundle");
        }
        Path rootfs = bundle.resolve("rootfs");
        mounts.mount(reference, rootfs, true);
        try {
            byte[] config = RuntimeConfig.build(image.parsedConfig(), rootfs, "rootfs", "berth");
            FsUtil.writeAtomically(bundle.resolve("config.json"), config);
        } catch (IOException | RuntimeException e) {
            mounts.unmount(rootfs);
            throw e;
        }
        return bundle;
    }

    /** Unmounts the bundle's rootfs and removes config.json (runc's container must be deleted first). */
    public void remove(Path dir) throws IOException {
        Path bundle = dir.toAbsolutePath().normalize();
        mounts.unmount(bundle.resolve("rootfs"));
        Files.deleteIfExists(bundle.resolve("config.json"));
        Files.deleteIfExists(bundle.resolve("rootfs"));
    }
}
