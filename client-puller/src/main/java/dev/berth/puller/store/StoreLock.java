package dev.berth.puller.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serialises metadata changes (commits, records, removal) between threads and between processes (the CLI
 * and the agent). A file lock belongs to the whole JVM, so threads first take a reentrant lock and only the
 * outermost holder takes the file lock. Downloads and tar application run outside it.
 */
public final class StoreLock {
    private final Path file;
    private final ReentrantLock threads = new ReentrantLock();
    private FileChannel channel;
    private FileLock fileLock;

    StoreLock(Path file) {
        this.file = file;
    }

    /** Blocks until this thread holds the store; close the handle to release. */
    public Held acquire() {
        threads.lock();
        try {
            if (threads.getHoldCount() == 1) {
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                fileLock = channel.lock();
            }
        } catch (IOException e) {
            closeChannel();
            threads.unlock();
            throw new UncheckedIOException("cannot lock " + file, e);
        }
        return this::release;
    }

    private void release() {
        try {
            if (threads.getHoldCount() == 1) {
                closeChannel();
            }
        } finally {
            threads.unlock();
        }
    }

    private void closeChannel() {
        try {
            if (fileLock != null) {
                fileLock.release();
            }
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // Closing the channel releases the lock anyway.
        } finally {
            fileLock = null;
            channel = null;
        }
    }

    /** A held lock. */
    @FunctionalInterface
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }
}
