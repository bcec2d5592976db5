package dev.berth.unionfs.tar;

import dev.berth.unionfs.sys.ErrnoException;
import dev.berth.unionfs.tar.HeaderTap.RawPax;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Applies an uncompressed OCI layer tar into an empty layer directory, the {@code diff/} of an
 * overlay2 layer, in one pass over the stream: whiteout-aware, and never writing outside the layer
 * root. The vocabulary, the rules and how a parallel apply stays equal to the sequential one are in the
 * package comment ({@code package-info.java}).
 *
 * <p>The stream is read to its end (so that a digest-verifying wrapper sees every byte) but not
 * closed. Instances are immutable and thread-safe; concurrent applies must use different roots.
 */
public final class LayerApplier {

    private final ApplyOptions options;
    private final int dirCacheSize;

    public LayerApplier(ApplyOptions options) {
        this(options, RootFs.CACHE_SIZE);
    }

    /** For tests: a descriptor cache of {@code dirCacheSize} directories, so that evictions are frequent. */
    LayerApplier(ApplyOptions options, int dirCacheSize) {
        this.options = Objects.requireNonNull(options, "options");
        this.dirCacheSize = dirCacheSize;
    }

    public LayerApplier() {
        this(ApplyOptions.defaults());
    }

    public ApplyOptions options() {
        return options;
    }

    /**
     * Applies the tar to {@code layerRoot}, which must exist and should be empty.
     *
     * @throws LayerFormatException when the tar contains an entry that cannot be applied safely
     * @throws ErrnoException when a system call fails (errno and path in the message)
     */
    public ApplyResult apply(InputStream uncompressedTar, Path layerRoot) throws IOException {
        long start = System.nanoTime();
        InputStream source = options.readAhead()
                ? new ReadAhead(uncompressedTar)
                : new BufferedInputStream(uncompressedTar, 1 << 16);
        HeaderTap tap = new HeaderTap(source);
        // ISO-8859-1 keeps ustar and GNU long names byte-exact (see ByteStrings).
        LayerTarInputStream tar = new LayerTarInputStream(tap, "ISO-8859-1");
        RootFs fs = null;
        EntryApplier s = null;
        try {
            fs = new RootFs(layerRoot, dirCacheSize);
            s = new EntryApplier(options, fs, tar);
            while (true) {
                // The rest of the previous entry and its padding, outside the header capture.
                tar.finishEntry();
                tap.begin();
                TarArchiveEntry e = tar.getNextEntry();
                RawPax pax = tap.end();
                if (e == null) {
                    break;
                }
                s.apply(e, pax);
                fs.endEntry();
            }
            s.finish();
            // Trailing blocks and whatever follows the end-of-archive marker.
            byte[] rest = s.scratch();
            while (tap.read(rest, 0, rest.length) >= 0) {
                // discard
            }
            return new ApplyResult(s.entries(), s.bytes(), Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException | RuntimeException | Error ex) {
            // No writer may outlive the apply; then report the earliest entry that failed.
            Throwable first = s == null ? null : s.stopWriters();
            if (first != null && first != ex) {
                first.addSuppressed(ex);
                throw FileWriterPool.rethrow(first);
            }
            throw ex;
        } finally {
            if (s != null) {
                s.stopWriters();
            }
            if (fs != null) {
                fs.close();
            }
            if (source instanceof ReadAhead r) {
                r.close();
            }
        }
    }
}
