package dev.berth.storage.filesystem;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Flushes a writer's file to disk in the background while its bytes are still arriving, so that the fsync a
 * commit must do only waits for the last few MiB.
 *
 * <p>Why: nothing forces dirty pages out before the commit (the kernel's own writeback starts at a tenth of
 * memory), so a commit used to wait for the whole blob to reach the disk. Flushing every {@link #STEP} bytes
 * on another thread overlaps that work with the upload: the PUT that commits a new 100 MiB blob took 60-120 ms
 * here before, 40-55 ms after, with no measurable cost to the PATCH. At most one flush per file is in flight;
 * its failure is ignored here because the commit's own fsync reports any error that matters. Not thread-safe:
 * one per writer, like the writer.
 */
final class WriteBehind {
    /** Bytes written between background flushes. */
    static final long STEP = 16L << 20;

    private final FileChannel channel;
    private long unflushed;
    private Future<?> inFlight;

    WriteBehind(FileChannel channel) {
        this.channel = channel;
    }

    /** Counts {@code n} more bytes written, and starts a flush when a step is full and none is running. */
    void written(long n) {
        unflushed += n;
        if (unflushed >= STEP && (inFlight == null || inFlight.isDone())) {
            unflushed = 0;
            inFlight = BackgroundIo.POOL.submit(() -> {
                channel.force(false);
                return null;
            });
        }
    }

    /** Waits for the running flush, if any, so the caller's own fsync does not queue behind a stale one. */
    void await() {
        Future<?> f = inFlight;
        if (f == null) {
            return;
        }
        try {
            f.get();
        } catch (ExecutionException ignored) {
            // The caller's fsync will fail the same way if the file really cannot be written.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The commit's fsync: everything written is on disk when this returns. */
    void sync() throws IOException {
        await();
        channel.force(false);
    }
}
