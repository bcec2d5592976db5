package dev.berth.puller.mount;

import dev.berth.puller.store.ImageRecord;
import dev.berth.puller.store.Store;
import dev.berth.unionfs.bundle.BundleWriter;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * OCI runtime bundles: {@code DIR/rootfs} a writable overlay of the image and {@code DIR/config.json}
 * written by union-fs's {@link BundleWriter} from what the image config says to run ({@link ImageProcess}),
 * with the caller's overrides, ready for {@code runc run --bundle DIR}.
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
        ImageRecord image = store.images()
                .get(reference)
                .orElseThrow(() -> new NoSuchFileException(reference, null, "no such image (pull it first)"));
        return create(image, dir, ImageProcess.Overrides.NONE);
    }

    /** Mounts {@code image} at {@code DIR/rootfs} and writes {@code DIR/config.json} for it. */
    public Path create(ImageRecord image, Path dir, ImageProcess.Overrides overrides) throws IOException {
        Path bundle = dir.toAbsolutePath().normalize();
        Path rootfs = bundle.resolve(BundleWriter.ROOTFS);
        if (Files.exists(bundle.resolve(BundleWriter.CONFIG))
                || store.mount(rootfs).isPresent()) {
            String of = store.mount(rootfs).map(m -> " of " + m.reference()).orElse("");
            throw new FileAlreadyExistsException(
                    bundle.toString(),
                    null,
                    "already holds a bundle" + of
                            + ": tear it down with `berth-pull unmount " + bundle
                            + "` (after `runc delete` of its container), "
                            + "or choose another DIR");
        }
        Files.createDirectories(bundle);
        mounts.mount(image, rootfs, true);
        try {
            // The user is looked up in the image's own /etc/passwd, so the rootfs is mounted first.
            writer.writeConfig(bundle, ImageProcess.of(image.parsedConfig(), rootfs, "berth", overrides));
        } catch (IOException | RuntimeException e) {
            mounts.unmount(rootfs, true);
            throw e;
        }
        return bundle;
    }

    /** Whether {@code dir} is a bundle made here: its rootfs is a mount berth recorded. */
    public boolean isBundle(Path dir) throws IOException {
        return store.mount(dir.toAbsolutePath().normalize().resolve(BundleWriter.ROOTFS))
                .isPresent();
    }

    /** Unmounts the bundle's rootfs and removes config.json, deleting its writable layer. */
    public void remove(Path dir) throws IOException {
        remove(dir, true);
    }

    /**
     * Unmounts the bundle's rootfs and removes config.json (runc's container must be deleted first).
     *
     * @return the kept writable layer (unless {@code discard}), or null
     */
    public Path remove(Path dir, boolean discard) throws IOException {
        Path bundle = dir.toAbsolutePath().normalize();
        Path kept = mounts.unmount(bundle.resolve(BundleWriter.ROOTFS), discard);
        Files.deleteIfExists(bundle.resolve(BundleWriter.CONFIG));
        Files.deleteIfExists(bundle.resolve(BundleWriter.ROOTFS));
        return kept;
    }
}
