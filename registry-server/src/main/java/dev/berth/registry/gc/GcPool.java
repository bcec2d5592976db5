package dev.berth.registry.gc;

import dev.berth.storage.BatchDeleteCapable;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded parallelism of one collection: runs a storage call per item on {@code parallelism} threads, and
 * deletes in batches of {@code batchSize}. Storage latency, not CPU, bounds a collection, hence the threads.
 */
final class GcPool implements AutoCloseable {
    private final StorageDriver driver;
    private final int parallelism;
    private final int batchSize;
    private final ExecutorService pool;

    /** A storage call for one item. */
    @FunctionalInterface
    interface IoConsumer<T> {
        void accept(T value) throws IOException;
    }

    GcPool(StorageDriver driver, int parallelism, int batchSize) {
        this.driver = driver;
        this.parallelism = parallelism;
        this.batchSize = batchSize;
        AtomicInteger count = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "berth-gc-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** {@code items} cut into consecutive batches of at most the batch size. */
    <T> List<List<T>> batches(List<T> items) {
        List<List<T>> batches = new ArrayList<>();
        for (int i = 0; i < items.size(); i += batchSize) {
            batches.add(items.subList(i, Math.min(items.size(), i + batchSize)));
        }
        return batches;
    }

    /** Batched deletes, spread over the pool; objects already gone are fine. */
    void deleteAll(Collection<String> paths) throws IOException, InterruptedException {
        if (paths.isEmpty()) {
            return;
        }
        List<String> all = new ArrayList<>(paths);
        int slice = Math.max(1, Math.min(batchSize, (all.size() + parallelism - 1) / parallelism));
        List<List<String>> slices = new ArrayList<>();
        for (int i = 0; i < all.size(); i += slice) {
            slices.add(all.subList(i, Math.min(all.size(), i + slice)));
        }
        parallel(slices, this::deleteMany);
    }

    /** Runs {@code action} for every item on the pool and waits; the first failure is rethrown. */
    <T> void parallel(Collection<T> items, IoConsumer<T> action) throws IOException, InterruptedException {
        List<Future<?>> futures = new ArrayList<>(items.size());
        for (T item : items) {
            futures.add(pool.submit(() -> {
                action.accept(item);
                return null;
            }));
        }
        IOException failure = null;
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (failure == null) {
                    failure = cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void deleteMany(List<String> paths) throws IOException {
        if (driver instanceof BatchDeleteCapable batch) {
            batch.deleteMany(paths);
            return;
        }
        for (String path : paths) {
            try {
                driver.delete(path);
            } catch (PathNotFoundException gone) {
                // already deleted
            }
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
