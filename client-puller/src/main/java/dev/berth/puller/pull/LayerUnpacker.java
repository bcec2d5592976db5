package dev.berth.puller.pull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * Writes an uncompressed layer tar into an empty layer directory, converting whiteouts for overlay. The
 * puller needs only this one operation, so it does not depend on how (or by whom) it is done.
 */
@FunctionalInterface
public interface LayerUnpacker {
    /**
     * Applies {@code tar} into {@code diffDir}; the stream should be read to its end but not closed. Returns the
     * bytes of regular-file content written (the layer's disk size, without a second walk over its files).
     */
    long apply(InputStream tar, Path diffDir) throws IOException;

    /** The union-fs applier (root: exact owners, devices and xattrs). */
    static LayerUnpacker unionFs() {
        dev.berth.unionfs.tar.LayerApplier applier =
                new dev.berth.unionfs.tar.LayerApplier(dev.berth.unionfs.tar.ApplyOptions.forCurrentUser());
        return (tar, diffDir) -> applier.apply(tar, diffDir).bytes();
    }
}
