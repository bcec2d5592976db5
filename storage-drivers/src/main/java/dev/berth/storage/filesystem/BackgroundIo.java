package dev.berth.storage.filesystem;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Daemon threads for disk work that no request waits for: write-behind flushes ({@link WriteBehind}) and
 * unlinking discarded upload files. Each writer has at most one task queued at a time, so the pool's size
 * follows the number of open uploads; idle threads exit after a minute.
 */
final class BackgroundIo {
    static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "berth-fs-background");
        t.setDaemon(true);
        return t;
    });

    private BackgroundIo() {}
}
