package dev.berth.puller.store;

import dev.berth.oci.Digest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One download per layer at a time, across threads and processes: whoever holds a layer's lock downloads and
 * commits it, the others wait and then find it committed. A file lock belongs to the whole JVM (a second
 * lock on the same file in one JVM fails), so threads queue on a semaphore first. The lock is keyed by ChainID
 * and held until the layer is committed; a holder only ever waits for the layers below its own (shorter
 * chains), so two pulls that need each other's layers cannot deadlock.
 */
final class DownloadLocks {
    private final StoreLayout layout;
    private final Map<Digest, Semaphore> threads = new ConcurrentHashMap<>();

    DownloadLocks(StoreLayout layout) {
        this.layout = layout;
    }

    /** Blocks until this caller may download {@code chainId}; interruptible. */
    Held acquire(Digest chainId) throws IOException {
        Semaphore s = threads.computeIfAbsent(chainId, k -> new Semaphore(1));
        try {
            s.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for the download of layer " + chainId);
        }
        FileChannel channel = null;
        try {
            Files.createDirectories(layout.downloadsDir());
            channel =
                    FileChannel.open(layout.downloadLock(chainId), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new Held(chainId, channel, channel.lock(), s);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            s.release();
            throw e;
        }
    }

    /** The lock if nobody (in this process or another) holds it now, else empty; never waits. */
    Optional<Held> tryAcquire(Digest chainId) throws IOException {
        Semaphore s = threads.computeIfAbsent(chainId, k -> new Semaphore(1));
        if (!s.tryAcquire()) {
            // Held in this JVM: its lock file must not even be opened (closing any descriptor of a file drops
            // the process's locks on it).
            return Optional.empty();
        }
        FileChannel channel = null;
        try {
            channel =
                    FileChannel.open(layout.downloadLock(chainId), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                s.release();
                return Optional.empty();
            }
            return Optional.of(new Held(chainId, channel, lock, s));
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            s.release();
            throw e;
        }
    }

    /** A held layer download lock; releasing it twice is harmless, and any thread may release it. */
    static final class Held implements LayerStore.DownloadLock {
        private final Digest chainId;
        private final FileChannel channel;
        private final FileLock lock;
        private final Semaphore threads;
        private final AtomicBoolean released = new AtomicBoolean();

        Held(Digest chainId, FileChannel channel, FileLock lock, Semaphore threads) {
            this.chainId = chainId;
            this.channel = channel;
            this.lock = lock;
            this.threads = threads;
        }

        @Override
        public Digest chainId() {
            return chainId;
        }

        @Override
        public void close() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            try {
                lock.release();
                channel.close();
            } catch (IOException ignored) {
                // Closing the channel releases the lock in any case.
            } finally {
                threads.release();
            }
        }
    }
}
