package dev.berth.puller.mount;

import dev.berth.puller.store.ImageRecord;
import dev.berth.puller.store.Store;
import dev.berth.unionfs.bundle.BundleWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * OCI runtime bundles: {@code DIR/rootfs} a writable overlay of the image and {@code DIR/config.json}
 * written by union-fs's {@link BundleWriter} from what the image config says to run ({@link ImageProcess}),
 * ready for {@code runc run --bundle DIR}.
 */
public final class Bundles {
    private final Store store;
    private final ImageMounts mounts;
    private final BundleWriter writer = new BundleWriter();

    public Bundles(Store store, ImageMounts mounts) {
        this.store = store;
        this.mounts = mounts;
    }

    public Path create(String reference, Path dir) throws IOException {
        ImageRecord image = store.images().get(reference)
                .orElseThrow(() -> new IOException("no such image: " + reference + " (pull it first)"));
        Path bundle = dir.toAbsolutePath().normalize();
        Files.createDirectories(bundle);
        if (Files.exists(bundle.resolve(BundleWriter.CONFIG))) {
            throw new IOException(bundle + " already holds a bundle");
        }
        Path rootfs = bundle.resolve(BundleWriter.ROOTFS);
        mounts.mount(reference, rootfs, true);
        try {
            // The user is looked up in the image's own /etc/passwd, so the rootfs is mounted first.
            writer.writeConfig(bundle, ImageProcess.of(image.parsedConfig(), rootfs, "berth"));
        } catch (IOException | RuntimeException e) {
            mounts.unmount(rootfs);
            throw e;
        }
        return bundle;
    }

    /** Unmounts the bundle's rootfs and removes config.json (runc's container must be deleted first). */
    public void remove(Path dir) throws IOException {
        Path bundle = dir.toAbsolutePath().normalize();
        mounts.unmount(bundle.resolve(BundleWriter.ROOTFS));
        Files.deleteIfExists(bundle.resolve(BundleWriter.CONFIG));
        Files.deleteIfExists(bundle.resolve(BundleWriter.ROOTFS));
    }
}
