package dev.berth.unionfs.tar;

import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * commons-compress's tar reader, minus a per-entry cost that dominated the Java side of applying a
 * layer of small files.
 *
 * <p>Why. {@code getNextEntry()} first calls {@code IOUtils.skip(this, Long.MAX_VALUE)} to pass over
 * whatever the caller left of the entry's data, then {@code IOUtils.skip(in, padding)} for the zeros
 * that fill its last 512-byte record. No data was skipped twice (the applier reads every entry to its
 * end, so the first skip reads nothing), but commons-compress passes {@code IOUtils::byteArray} as the
 * skip buffer supplier, which allocates and zeroes a new 8 KiB array per call: two per entry, 16 KiB
 * of garbage for a 2 KiB file, 330 MB for a layer of 20,000 files, all on the thread that parses the
 * tar. Here the remaining data and the padding are read into one reused buffer and the current entry
 * is then forgotten, so that {@code getNextEntry()} has nothing left to skip. That is also done for
 * the internal entries (PAX headers, GNU long names) that commons-compress reads through
 * {@link #getNextEntry()} itself.
 *
 * <p>Sparse entries, and directories with a non-zero size, keep commons-compress's own path: their
 * stored data is not read through {@link #read} one to one, so only commons-compress knows where their
 * records end.
 */
final class LayerTarInputStream extends TarArchiveInputStream {

    private final InputStream source;
    private final byte[] scratch = new byte[8192];

    /** {@code source} must be the stream this reads from, with nothing buffered in between. */
    LayerTarInputStream(InputStream source, String encoding) {
        super(source, encoding);
        this.source = source;
    }

    /**
     * Reads what is left of the current entry's data and, when that is safe, its padding, so that the
     * stream stands at the next header. Idempotent.
     */
    void finishEntry() throws IOException {
        TarArchiveEntry e = getCurrentEntry();
        if (e == null) {
            return;
        }
        if (e.isDirectory()) {
            // commons-compress neither reads a directory's data nor skips its padding: nothing to do.
            if (e.getSize() == 0) {
                setCurrentEntry(null);
            }
            return;
        }
        if (e.isSparse()) {
            while (read(scratch, 0, scratch.length) >= 0) {
                // discard; commons-compress skips the padding itself
            }
            return;
        }
        while (read(scratch, 0, scratch.length) >= 0) {
            // discard the rest of the data
        }
        int recordSize = getRecordSize();
        long padding = (recordSize - e.getSize() % recordSize) % recordSize;
        while (padding > 0) {
            int r = source.read(scratch, 0, (int) Math.min(padding, scratch.length));
            if (r < 0) {
                break; // a truncated archive: the next getNextEntry() reports it
            }
            padding -= r;
        }
        setCurrentEntry(null);
    }

    @Override
    public TarArchiveEntry getNextEntry() throws IOException {
        finishEntry();
        return super.getNextEntry();
    }
}
