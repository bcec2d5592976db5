package dev.berth.unionfs.tar;

import static dev.berth.unionfs.sys.LibC.path;

import dev.berth.unionfs.tar.FileWriterPool.SmallFile;
import dev.berth.unionfs.tar.RootFs.Dir;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * The reader's side of a parallel apply: which regular files it may hand to writer threads, and when
 * it must wait for one (or all) of them before acting on a path, so that the result is the sequential
 * apply's (the rules are in the package comment). {@link RootFs} calls the {@link RootFs.Hooks} while
 * resolving and removing. In a sequential apply every method is a no-op and nothing is handed off.
 * Reader thread only.
 */
final class WriterOrder implements RootFs.Hooks {

    /** Regular files up to this size are handed to writer threads with their content. */
    static final int SMALL_FILE = 1 << 20;
    /** At most this many files wait for (or are being written by) writer threads... */
    static final int QUEUE_FILES = 1024;
    /** ... and at most this many bytes of their content, counting {@link FileWriterPool#OVERHEAD} each. */
    static final int QUEUE_BYTES = 16 << 20;

    /** Null for the sequential apply. */
    private final FileWriterPool writers;
    /** Paths (symlink-free) that this apply may have created: see {@link PathSet}. */
    private final PathSet touched = new PathSet();
    /** Files handed to writers, by path hash; done ones are pruned from time to time. */
    private final Map<Long, SmallFile> inFlight = new HashMap<>();
    /** Directories (symlink-free paths) whose every name is in {@link #touched}. */
    private final Set<String> knownDirs = new HashSet<>();

    /** With {@link ApplyOptions#parallelism()} above 1, writer threads run {@code newFiles}. */
    WriterOrder(ApplyOptions options, RootFs fs, FileWriterPool.Writer newFiles) {
        if (options.parallelism() > 1) {
            // The reader is one of the file-creating threads (overflow, large files, replacements).
            writers = new FileWriterPool(
                    options.parallelism() - 1,
                    QUEUE_FILES,
                    QUEUE_BYTES,
                    Math.min(options.bufferSize(), 256 * 1024),
                    newFiles,
                    "berth-layer-writer");
            fs.setHooks(this);
        } else {
            writers = null;
        }
    }

    /** The path of {@code name} in {@code dir}, for {@link PathSet}. */
    private static long key(Dir dir, String name) {
        return PathSet.hash(dir.real(), name);
    }

    /**
     * Before the reader acts on a path: waits for a file still being written there, and remembers
     * the path as one this apply may have created.
     */
    private void claim(long key) throws IOException {
        if (writers == null) {
            return;
        }
        if (!touched.add(key)) {
            SmallFile f = inFlight.remove(key);
            if (f != null) {
                writers.await(f);
            }
        }
    }

    void claim(Dir dir, String name) throws IOException {
        if (writers != null) {
            claim(key(dir, name));
        }
    }

    @Override
    public void lookup(String path) throws IOException {
        claim(PathSet.hash(path));
    }

    @Override
    public void madeDirectory(String path) {
        if (writers != null) {
            knownDirs.add(path);
        }
    }

    @Override
    public void removing() throws IOException {
        if (writers != null) {
            writers.awaitAll();
        }
    }

    /**
     * Whether a regular file goes to the writers: a parallel apply, small and not sparse, and its path
     * certainly new (which it then no longer is). When false, the reader claims and writes it itself.
     */
    boolean mayHandOff(Dir dir, String base, TarArchiveEntry e) throws IOException {
        if (writers == null || e.isSparse() || e.getSize() > SMALL_FILE) {
            return false;
        }
        know(dir);
        return touched.add(key(dir, base));
    }

    /**
     * Queues a file that {@link #mayHandOff} accepted, named {@code base} in {@code f.dir}. False when the
     * writers have enough to do: then the caller writes it, now (its path is still new).
     */
    boolean offer(SmallFile f, String base) throws IOException {
        boolean queued = false;
        f.dir.retain(); // the writer releases it; the cache may drop it meanwhile
        try {
            queued = writers.offer(f);
        } finally {
            if (!queued) {
                f.dir.release();
            }
        }
        if (queued) {
            if (inFlight.size() >= 2 * QUEUE_FILES) {
                inFlight.values().removeIf(x -> x.done);
            }
            inFlight.put(key(f.dir, base), f);
        }
        return queued;
    }

    /** Lists a directory this apply did not make, once, so that its names count as touched. */
    private void know(Dir dir) throws IOException {
        if (knownDirs.contains(dir.real())) {
            return;
        }
        for (byte[] n : RootFs.list(dir.fd(), path("."), dir.real().isEmpty() ? "/" : dir.real(), null)) {
            touched.add(key(dir, ByteStrings.of(n, 0, n.length - 1)));
        }
        knownDirs.add(dir.real());
    }

    /** Fails fast: rethrows a writer's failure, if any. */
    void checkFailure() throws IOException {
        if (writers != null) {
            writers.checkFailure();
        }
    }

    /** Every file written, then the first writer failure if there was one. */
    void awaitAll() throws IOException {
        if (writers != null) {
            writers.awaitAll();
        }
    }

    /** Stops and joins the writers; returns the earliest failure of a writer, if any. Idempotent. */
    Throwable stopWriters() {
        if (writers == null) {
            return null;
        }
        writers.close();
        return writers.failure();
    }
}
