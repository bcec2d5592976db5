package dev.berth.registry.gc;

import dev.berth.oci.Digest;
import dev.berth.registry.cache.RegistryCaches;
import dev.berth.registry.gc.Mark.Revision;
import dev.berth.registry.gc.Scan.BlobCensus;
import dev.berth.registry.gc.Scan.Candidate;
import dev.berth.registry.storage.GcMarkers;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.storage.Repositories;
import dev.berth.registry.upload.UploadPurger;
import dev.berth.storage.LeftoverSweepCapable;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Online mark and sweep over one storage driver; see the package documentation for the protocol that makes it
 * safe while pushes and pulls continue. One instance may run collections one after another; runs in different
 * processes sharing the storage are safe too, but waste work, so schedule them on one replica.
 *
 * <p>This class runs the phases in order; {@link Scan} reads the storage, {@link Mark} walks the reference graph
 * and {@link Sweep} deletes, on the threads of a {@link GcPool}.
 *
 * <p>Cost: one listing walk per repository data directory and one of the blob tree per mark (no walk of the
 * whole storage), one small read per tag and per distinct manifest body, then per deleted blob one intent
 * write, one claim move, two stats and four batched deletes (links, bytes, touch marker, claim).
 */
public final class GarbageCollector {
    /** Markers older than the settle delay twice plus this belong to a collector that died. */
    private static final Duration STALE_MARGIN = Duration.ofHours(1);

    private final StorageDriver driver;
    private final GcMarkers markers;
    private final GcHooks hooks;
    private final RegistryCaches caches;

    public GarbageCollector(StorageDriver driver) {
        this(driver, GcHooks.NONE);
    }

    public GarbageCollector(StorageDriver driver, GcHooks hooks) {
        this(driver, hooks, RegistryCaches.disabled());
    }

    /** With this process's caches, which every deletion invalidates (other replicas' entries expire first). */
    public GarbageCollector(StorageDriver driver, GcHooks hooks, RegistryCaches caches) {
        this.driver = driver;
        this.markers = new GcMarkers(driver);
        this.hooks = hooks;
        this.caches = caches;
    }

    /** Runs one collection (or, with {@link GcOptions#dryRun()}, computes what it would delete). Blocks. */
    public GcReport run(GcOptions options) throws IOException, InterruptedException {
        try (GcPool pool = new GcPool(driver, options.parallelism(), options.batchSize())) {
            return new Run(options, pool).execute();
        }
    }

    /** The outcome of marking every repository. */
    private static final class Marked {
        final Set<Digest> blobs = ConcurrentHashMap.newKeySet();
        final Collection<Revision> doomed = new ConcurrentLinkedQueue<>();
        final Map<Digest, Collection<String>> linkedFrom = new ConcurrentHashMap<>();
        final AtomicLong manifestsKept = new AtomicLong();
        final Map<String, RepositoryScan> scans = new ConcurrentHashMap<>();
        int repositories;
    }

    private final class Run {
        private final GcOptions options;
        private final GcPool pool;
        private final Scan scan = new Scan(driver);
        private final Sweep sweep;
        private final GcReport.Builder report = GcReport.builder();
        private Instant t0;
        private Instant staleCutoff;

        Run(GcOptions options, GcPool pool) {
            this.options = options;
            this.pool = pool;
            this.sweep = new Sweep(markers, caches, pool, scan);
        }

        GcReport execute() throws IOException, InterruptedException {
            long start = System.nanoTime();
            hooks.before(GcPhase.MARK);
            t0 = scan.storageNow();
            report.dryRun(options.dryRun()).startedAt(t0);
            Instant graceCutoff = t0.minus(options.gracePeriod());
            Instant youngCutoff = t0.minus(options.keepUntaggedFor());
            staleCutoff = t0.minus(options.settleDelay().multipliedBy(2).plus(STALE_MARGIN));

            Marked first = markAll(youngCutoff, null);
            BlobCensus census = scan.blobs(first.blobs, graceCutoff, staleCutoff);
            List<Candidate> candidates = census.candidates();
            List<Revision> doomed = new ArrayList<>(first.doomed);
            report.blobsScanned(census.scanned());
            if (options.dryRun()) {
                long purgeable = purgeUploads(first.scans.keySet(), true);
                return report.repositoriesScanned(first.repositories)
                        .manifestsKept(first.manifestsKept.get())
                        .manifestsDeleted(doomed.size())
                        .blobsKept(census.kept())
                        .blobsDeleted(candidates.size())
                        .bytesFreed(
                                candidates.stream().mapToLong(Candidate::size).sum())
                        .uploadsPurged(purgeable)
                        .finish(start, 0);
            }
            List<String> staleMarkers = new ArrayList<>(census.staleMarkers());
            for (RepositoryScan repository : first.scans.values()) {
                staleMarkers.addAll(repository.staleRevisionMarkers());
            }
            pool.deleteAll(staleMarkers);

            hooks.before(GcPhase.ANNOUNCE);
            pool.parallel(doomed, r -> markers.intend(RegistryLayout.manifestRevisionDir(r.repository(), r.digest())));
            pool.parallel(candidates, c -> markers.intend(RegistryLayout.blobDir(c.digest())));

            hooks.before(GcPhase.SETTLE);
            long settleStart = System.nanoTime();
            Thread.sleep(options.settleDelay().toMillis());
            long settleNanos = System.nanoTime() - settleStart;

            hooks.before(GcPhase.REMARK);
            // Everything written since T0 is a root now, whatever the untagged policy says.
            Instant remarkCutoff = youngCutoff.isBefore(t0) ? youngCutoff : t0;
            Set<Digest> candidateSet = new HashSet<>();
            candidates.forEach(c -> candidateSet.add(c.digest()));
            Marked second = markAll(remarkCutoff, candidateSet);
            Set<Revision> stillDoomed = new HashSet<>(second.doomed);
            List<Revision> revisionsToSweep = new ArrayList<>();
            List<Revision> revisionsKept = new ArrayList<>();
            for (Revision r : doomed) {
                (stillDoomed.contains(r) ? revisionsToSweep : revisionsKept).add(r);
            }
            pool.parallel(
                    revisionsKept,
                    r -> markers.withdraw(RegistryLayout.manifestRevisionDir(r.repository(), r.digest())));
            List<Candidate> blobsToSweep = new ArrayList<>();
            List<Candidate> blobsKept = new ArrayList<>();
            for (Candidate c : candidates) {
                (second.blobs.contains(c.digest()) ? blobsKept : blobsToSweep).add(c);
            }
            pool.parallel(blobsKept, c -> markers.withdraw(RegistryLayout.blobDir(c.digest())));

            hooks.before(GcPhase.SWEEP_MANIFESTS);
            Set<Digest> rescuedBlobs = ConcurrentHashMap.newKeySet();
            Sweep.RevisionSweep revisions = sweep.revisions(revisionsToSweep, second.scans, rescuedBlobs);
            if (!rescuedBlobs.isEmpty()) {
                List<Candidate> reachedFromRescued = new ArrayList<>();
                blobsToSweep.removeIf(c -> rescuedBlobs.contains(c.digest()) && reachedFromRescued.add(c));
                pool.parallel(reachedFromRescued, c -> markers.withdraw(RegistryLayout.blobDir(c.digest())));
                blobsKept.addAll(reachedFromRescued);
            }

            hooks.before(GcPhase.SWEEP_BLOBS);
            Sweep.BlobSweep blobs = sweep.blobs(blobsToSweep, second.linkedFrom, graceCutoff);

            hooks.before(GcPhase.PURGE_UPLOADS);
            long purged = purgeUploads(second.scans.keySet(), false);

            hooks.before(GcPhase.SWEEP_LEFTOVERS);
            long leftovers =
                    driver instanceof LeftoverSweepCapable sweepable ? sweepable.sweepLeftovers(graceCutoff) : 0;

            return report.repositoriesScanned(second.repositories)
                    .manifestsKept(second.manifestsKept.get())
                    .manifestsDeleted(revisions.deleted())
                    .manifestsRescued(revisionsKept.size() + revisions.rescued())
                    .blobsKept(census.scanned() - blobs.deleted())
                    .blobsDeleted(blobs.deleted())
                    .blobsRescued(blobsKept.size() + blobs.rescued())
                    .bytesFreed(blobs.bytesFreed())
                    .uploadsPurged(purged)
                    .leftoversSwept(leftovers)
                    .finish(start, settleNanos);
        }

        /**
         * Scans and marks every repository in parallel. With {@code linkIndexFor}, also records which
         * repositories link those blobs, so the sweep can unlink them.
         */
        private Marked markAll(Instant youngCutoff, Set<Digest> linkIndexFor) throws IOException, InterruptedException {
            Marked marked = new Marked();
            List<String> names = Repositories.all(driver);
            marked.repositories = names.size();
            pool.parallel(names, name -> {
                RepositoryScan repository = scan.repository(name, staleCutoff);
                marked.scans.put(name, repository);
                Mark.Result result = Mark.repository(repository, youngCutoff, scan);
                marked.blobs.addAll(result.blobs());
                marked.doomed.addAll(result.doomed());
                marked.manifestsKept.addAndGet(
                        repository.revisions().size() - result.doomed().size());
                if (linkIndexFor != null) {
                    for (Digest d : repository.links()) {
                        if (linkIndexFor.contains(d)) {
                            marked.linkedFrom
                                    .computeIfAbsent(d, k -> new ConcurrentLinkedQueue<>())
                                    .add(name);
                        }
                    }
                }
            });
            return marked;
        }

        /** Deletes (or, in a dry run, counts) upload sessions without activity for the upload TTL. */
        private long purgeUploads(Collection<String> repositories, boolean dryRun)
                throws IOException, InterruptedException {
            Instant cutoff = t0.minus(options.uploadTtl());
            AtomicLong purged = new AtomicLong();
            pool.parallel(
                    new ArrayList<>(repositories),
                    name -> purged.addAndGet(UploadPurger.purgeRepository(driver, name, cutoff, dryRun)));
            if (!dryRun) {
                purged.addAndGet(UploadPurger.purgeDriverUploads(driver, options.uploadTtl()));
            }
            return purged.get();
        }
    }
}
