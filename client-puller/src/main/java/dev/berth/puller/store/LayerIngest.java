package dev.berth.puller.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A layer being applied in {@code layers/.tmp-<random>/diff}. Its owner holds {@code ingest.lock} for as long
 * as the ingest lives, which is how stale-ingest cleanup (in this or another process) tells a live ingest
 * from the debris of a crashed pull. Closing an ingest that was not committed deletes it.
 */
public final class LayerIngest implements AutoCloseable {
    static final String LOCK_NAME = "ingest.lock";
    /**
     * Ingests of this JVM. Closing any descriptor of a file drops the process's POSIX locks on it, so the
     * cleanup must never open the lock file of an ingest of its own process: it asks this set instead.
     */
    static final java.util.Set<Path> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean finished;

    private LayerIngest(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    static LayerIngest create(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("diff"));
        FileChannel ch =
                FileChannel.open(dir.resolve(LOCK_NAME), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        LIVE.add(dir);
        return new LayerIngest(dir, ch, ch.lock());
    }

    /** Where the tar is applied. */
    public Path diffDir() {
        return dir.resolve("diff");
    }

    Path dir() {
        return dir;
    }

    /** Called by the store once the directory has been renamed into place (the lock moved with it). */
    synchronized void committed(Path newDir) {
        finished = true;
        releaseLock();
        try {
            Files.deleteIfExists(newDir.resolve(LOCK_NAME));
        } catch (IOException ignored) {
            // A left-over lock file in a committed layer is harmless.
        }
    }

    /** Deletes the ingest (a failed or duplicate layer). */
    public synchronized void discard() throws IOException {
        if (finished) {
            return;
        }
        finished = true;
        try {
            FsUtil.deleteTree(diffDir());
        } finally {
            releaseLock();
            FsUtil.deleteTree(dir);
        }
    }

    private void releaseLock() {
        LIVE.remove(dir);
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // Closing the channel releases the lock in any case.
        }
    }

    @Override
    public void close() throws IOException {
        discard();
    }
}
