package dev.berth.storage.s3;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Striped in-process locks over logical paths. Replacing what a path holds is read-then-write on S3 (HEAD the
 * old pointer, write the new one, release the old data); two such sequences on one path in the same process
 * would otherwise race and leak the data object one of them displaced. Across processes the race remains
 * possible and costs at most one unreferenced data object, never a visible pointer without data.
 */
final class PathLocks {
    private static final int STRIPES = 64;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

    PathLocks() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /** Releases what {@link #lock} took. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    Held lock(String path) {
        ReentrantLock lock = stripes[index(path)];
        lock.lock();
        return lock::unlock;
    }

    /** Locks two paths, always in stripe order so that two movers cannot deadlock. */
    Held lock(String first, String second) {
        int a = index(first);
        int b = index(second);
        if (a == b) {
            return lock(first);
        }
        ReentrantLock low = stripes[Math.min(a, b)];
        ReentrantLock high = stripes[Math.max(a, b)];
        low.lock();
        high.lock();
        return () -> {
            high.unlock();
            low.unlock();
        };
    }

    private static int index(String path) {
        return Math.floorMod(path.hashCode(), STRIPES);
    }
}
