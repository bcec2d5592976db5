package dev.berth.puller.pull;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.ImageReference;
import dev.berth.oci.OciJson;
import dev.berth.oci.io.DigestMismatchException;
import dev.berth.puller.registry.BlobUnavailableException;
import dev.berth.puller.registry.ImageResolver;
import dev.berth.puller.registry.Registries;
import dev.berth.puller.registry.RegistryClient;
import dev.berth.puller.registry.RegistryException;
import dev.berth.puller.registry.ResolvedImage;
import dev.berth.puller.registry.TransportTimeoutException;
import dev.berth.puller.store.ChainIds;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.store.ImageRecord;
import dev.berth.puller.store.LayerInfo;
import dev.berth.puller.store.LayerIngest;
import dev.berth.puller.store.LayerStore;
import dev.berth.puller.store.Store;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pulls images into a {@link Store}. The config comes first, so every layer's ChainID is known before any
 * download; layers already stored are skipped, the others download and apply in parallel (each into its
 * own ingest directory) and are committed bottom-up as soon as the layers below them are. Each download holds
 * its layer's download lock until the commit, so a second pull of the same layer (another image in the agent,
 * another process on the same store) waits and then finds it committed instead of downloading it again; and
 * it keeps its compressed bytes until the commit, so a pull killed mid-layer resumes where it stopped.
 * Thread-safe: the agent runs several pulls at once.
 */
public final class Puller {
    private final Store store;
    private final Registries registries;
    private final LayerUnpacker unpacker;
    private final PullOptions options;

    public Puller(Store store, Registries registries, LayerUnpacker unpacker, PullOptions options) {
        this.store = store;
        this.registries = registries;
        this.unpacker = unpacker;
        this.options = options;
    }

    public PullResult pull(ImageReference ref, PullListener listener) throws IOException {
        long start = System.nanoTime();
        RegistryClient client = registries.client(ref.registry());
        ResolvedImage image = new ImageResolver(client).resolve(ref, options.platform());
        listener.resolved(image);
        List<Descriptor> layers = image.manifest().layersOrEmpty();
        List<Digest> diffIds = image.config().rootfs().diffIds();
        List<Digest> chainIds = ChainIds.of(diffIds);

        LayerFetcher fetcher = new LayerFetcher(client, ref.repository(), unpacker, options.backoff());
        AtomicLong bytes = new AtomicLong();
        List<Future<Fetched>> pending = new ArrayList<>();
        Set<LayerIngest> ingests = ConcurrentHashMap.newKeySet();
        Set<LayerStore.DownloadLock> locks = ConcurrentHashMap.newKeySet();
        AtomicInteger present = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(options.parallel(), daemonThreads(ref));
        try {
            for (int i = 0; i < layers.size(); i++) {
                if (store.layers().exists(chainIds.get(i))) {
                    store.layers().touch(chainIds.get(i));
                    listener.layerPresent(i, layers.get(i), chainIds.get(i));
                    pending.add(null);
                    present.incrementAndGet();
                    continue;
                }
                int index = i;
                pending.add(pool.submit(() -> {
                    Fetched f = fetchOnce(
                            fetcher,
                            index,
                            layers.get(index),
                            diffIds.get(index),
                            chainIds.get(index),
                            listener,
                            bytes,
                            ingests,
                            locks);
                    if (f.ingest() == null) {
                        present.incrementAndGet();
                    }
                    return f;
                }));
            }
            commitInOrder(ref, layers, diffIds, chainIds, pending, listener);
        } finally {
            pool.shutdownNow();
            awaitQuietly(pool);
            // Whatever was not committed (a failed or cancelled pull) is deleted; committed ones are no-ops.
            for (LayerIngest ingest : ingests) {
                ingest.discard();
            }
            locks.forEach(LayerStore.DownloadLock::close);
        }

        ImageRecord record = new ImageRecord(
                ref.toString(),
                image.manifestDigest(),
                image.indexDigest(),
                image.manifestType(),
                image.platform().toString(),
                image.manifest().config().digest(),
                OciJson.mapper().readTree(image.configBytes()),
                layerRecords(layers, diffIds, chainIds),
                System.currentTimeMillis());
        store.images().put(record);
        PullResult result = new PullResult(
                record,
                layers.size() - present.get(),
                present.get(),
                bytes.get(),
                Duration.ofNanos(System.nanoTime() - start));
        listener.pulled(result);
        return result;
    }

    /**
     * Commits layer i once it and every layer below it are ready, so a visible layer always has its parent. On
     * the first failure the remaining downloads are cancelled and every uncommitted ingest is deleted.
     */
    private void commitInOrder(
            ImageReference ref,
            List<Descriptor> layers,
            List<Digest> diffIds,
            List<Digest> chainIds,
            List<Future<Fetched>> pending,
            PullListener listener)
            throws IOException {
        int i = 0;
        try {
            for (; i < pending.size(); i++) {
                Future<Fetched> f = pending.get(i);
                if (f == null) {
                    continue;
                }
                Fetched fetched = await(f, pending);
                LayerIngest ingest = fetched.ingest();
                if (ingest == null) {
                    continue; // another pull committed it meanwhile
                }
                Descriptor d = layers.get(i);
                try {
                    LayerInfo info = new LayerInfo(
                            chainIds.get(i),
                            diffIds.get(i),
                            i == 0 ? null : chainIds.get(i - 1),
                            d.digest(),
                            d.mediaType(),
                            d.size(),
                            FsUtil.treeSize(ingest.diffDir()),
                            System.currentTimeMillis());
                    store.layers().commit(ingest, info);
                    Files.deleteIfExists(store.layers().partialBlob(chainIds.get(i)));
                } finally {
                    ingest.discard(); // no-op once committed
                    fetched.lock().close();
                }
                listener.layerDone(i, d, chainIds.get(i));
            }
        } catch (LayerFailure e) {
            Throwable cause = e.getCause();
            int failed = e.index;
            listener.layerFailed(
                    failed, layers.get(failed), cause instanceof Exception ex ? ex : new IOException(cause));
            throw new PullException(
                    ref + ": layer " + (failed + 1) + "/" + layers.size() + " ("
                            + layers.get(failed).digest() + ") failed and was discarded: " + cause.getMessage(),
                    cause);
        }
    }

    /** A layer this pull downloaded (its ingest, and the lock held until its commit), or null: someone else did. */
    private record Fetched(LayerIngest ingest, LayerStore.DownloadLock lock) {}

    /**
     * Takes the layer's download lock, then downloads and applies it unless another pull committed it while
     * this one waited. The lock stays held (in the result) until the layer is committed.
     */
    private Fetched fetchOnce(
            LayerFetcher fetcher,
            int index,
            Descriptor layer,
            Digest diffId,
            Digest chainId,
            PullListener listener,
            AtomicLong bytes,
            Set<LayerIngest> ingests,
            Set<LayerStore.DownloadLock> locks)
            throws IOException {
        LayerStore.DownloadLock lock = store.layers().lockDownload(chainId);
        locks.add(lock);
        try {
            if (store.layers().exists(chainId)) {
                lock.close();
                store.layers().touch(chainId);
                listener.layerPresent(index, layer, chainId);
                return new Fetched(null, lock);
            }
            return new Fetched(
                    fetchWithRetries(fetcher, index, layer, diffId, chainId, listener, bytes, ingests), lock);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private LayerIngest fetchWithRetries(
            LayerFetcher fetcher,
            int index,
            Descriptor layer,
            Digest diffId,
            Digest chainId,
            PullListener listener,
            AtomicLong bytes,
            Set<LayerIngest> ingests)
            throws IOException {
        listener.layerStarted(index, layer);
        Path partial = store.layers().partialBlob(chainId);
        boolean restartedFromZero = false;
        for (int attempt = 1; ; attempt++) {
            LayerIngest ingest = store.layers().startIngest();
            ingests.add(ingest);
            boolean resumed = Files.exists(partial) && Files.size(partial) > 0;
            try {
                fetcher.fetch(index, layer, diffId, ingest.diffDir(), partial, listener, bytes);
                return ingest;
            } catch (IOException | RuntimeException e) {
                ingest.discard();
                if (cancelled(e)) {
                    throw e; // the kept bytes stay for the next pull
                }
                if (!isRetryable(e)) {
                    // Wrong content: never resume from these bytes again. Kept bytes from an earlier run may be
                    // what is wrong (a torn write), so a resumed layer gets one fresh start.
                    Files.deleteIfExists(partial);
                    if (resumed && !restartedFromZero) {
                        restartedFromZero = true;
                        listener.layerRetrying(index, attempt, e);
                        continue;
                    }
                    throw e;
                }
                if (attempt >= options.layerAttempts()) {
                    throw e;
                }
                listener.layerRetrying(index, attempt, e);
                options.backoff().sleep(attempt);
            }
        }
    }

    /** The pull was interrupted (a sibling layer failed, the process is stopping), or the wait timed out. */
    private static boolean cancelled(Throwable e) {
        if (Thread.currentThread().isInterrupted()) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedIOException || t instanceof java.nio.channels.ClosedByInterruptException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Only registry and network trouble is worth another try. Anything else (a digest or DiffID mismatch, a
     * corrupt gzip stream, a malformed tar) is about the content, and the same bytes would come again.
     */
    static boolean isRetryable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DigestMismatchException || t instanceof InterruptedIOException) {
                return false;
            }
            if (t instanceof BlobUnavailableException) {
                return true;
            }
            if (t instanceof RegistryException re) {
                return re.isTransient();
            }
            if (t instanceof java.net.ConnectException || t instanceof TransportTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Waits for layer {@code f}, but fails fast when any other layer has already failed, so a corrupt top
     * layer does not wait for a slow base layer to finish.
     */
    private static Fetched await(Future<Fetched> f, List<Future<Fetched>> all)
            throws InterruptedIOException, LayerFailure {
        while (true) {
            for (int j = 0; j < all.size(); j++) {
                Future<Fetched> other = all.get(j);
                if (other != null && other.isDone() && !other.isCancelled()) {
                    try {
                        other.get();
                    } catch (ExecutionException e) {
                        throw new LayerFailure(j, e.getCause());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("pull interrupted");
                    }
                }
            }
            try {
                return f.get(50, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // poll the others again
            } catch (ExecutionException e) {
                throw new LayerFailure(all.indexOf(f), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("pull interrupted");
            }
        }
    }

    private static void awaitQuietly(ExecutorService pool) {
        try {
            pool.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Layer {@code index} failed with the cause. */
    private static final class LayerFailure extends Exception {
        private final int index;

        LayerFailure(int index, Throwable cause) {
            super(cause);
            this.index = index;
        }
    }

    private static List<ImageRecord.Layer> layerRecords(
            List<Descriptor> layers, List<Digest> diffIds, List<Digest> chainIds) {
        List<ImageRecord.Layer> out = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            Descriptor d = layers.get(i);
            out.add(new ImageRecord.Layer(d.digest(), d.mediaType(), d.size(), diffIds.get(i), chainIds.get(i)));
        }
        return out;
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(ImageReference ref) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "pull-" + ref.repository() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
