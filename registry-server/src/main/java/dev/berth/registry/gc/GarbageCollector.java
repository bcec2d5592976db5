package dev.berth.registry.gc;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.oci.InvalidDigestException;
import dev.berth.oci.OciJson;
import dev.berth.registry.cache.RegistryCaches;
import dev.berth.registry.storage.GcMarkers;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.upload.UploadPurger;
import dev.berth.storage.BatchDeleteCapable;
import dev.berth.storage.FileInfo;
import dev.berth.storage.LeftoverSweepCapable;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Online mark and sweep over one storage driver; see the package documentation for the protocol that makes it
 * safe while pushes and pulls continue. One instance may run collections one after another; runs in different
 * processes sharing the storage are safe too, but waste work, so schedule them on one replica.
 *
 * <p>Cost: one listing walk per repository data directory and one of the blob tree per mark (no walk of the
 * whole storage), one small read per tag and per distinct manifest body, then per deleted blob one intent
 * write, one claim move, two stats and four batched deletes (links, bytes, touch marker, claim).
 */
public final class GarbageCollector {
    private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);
    /** Markers older than the settle delay twice plus this belong to a collector that died. */
    private static final java.time.Duration STALE_MARGIN = java.time.Duration.ofHours(1);

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
        ExecutorService pool = Executors.newFixedThreadPool(options.parallelism(), new GcThreads());
        try {
            return new Run(options, pool).execute();
        } finally {
            pool.shutdownNow();
        }
    }

    /** The references a manifest body holds; bodies are immutable, so one parse per run serves every mark. */
    private record Refs(List<Digest> blobs, List<Digest> children) {
        static final Refs NONE = new Refs(List.of(), List.of());
    }

    /** A manifest revision in one repository. */
    private record Revision(String repository, Digest digest) {
    }

    /** What one walk of a repository's data directories found. */
    private static final class RepoScan {
        final String name;
        final Map<Digest, Instant> revisions = new HashMap<>();
        final List<String> staleRevisionMarkers = new ArrayList<>();
        final Set<Digest> tagged = new HashSet<>();
        final Map<Digest, List<Digest>> referrersOf = new HashMap<>();
        final Map<Digest, List<Digest>> subjectsOf = new HashMap<>();
        final List<Digest> links = new ArrayList<>();

        RepoScan(String name) {
            this.name = name;
        }
    }

    /** The outcome of marking every repository. */
    private static final class Mark {
        final Set<Digest> blobs = ConcurrentHashMap.newKeySet();
        final Bag<Revision> doomed = new Bag<>();
        final Map<Digest, Bag<String>> linkedFrom = new ConcurrentHashMap<>();
        final AtomicLong manifestsKept = new AtomicLong();
        final Map<String, RepoScan> scans = new ConcurrentHashMap<>();
        int repositories;
    }

    /** A thread-safe collection filled by parallel tasks. */
    private static final class Bag<T> extends ConcurrentLinkedQueue<T> {
    }

    /** A blob that is a candidate for deletion. */
    private record Candidate(Digest digest, long size) {
    }

    private final class Run {
        private final GcOptions options;
        private final ExecutorService pool;
        private final Map<Digest, Refs> refs = new ConcurrentHashMap<>();
        private Instant t0;
        private Instant staleCutoff;

        Run(GcOptions options, ExecutorService pool) {
            this.options = options;
            this.pool = pool;
        }

        GcReport execute() throws IOException, InterruptedException {
            long start = System.nanoTime();
            hooks.before(GcPhase.MARK);
            t0 = storageNow();
            Instant graceCutoff = t0.minus(options.gracePeriod());
            Instant youngCutoff = t0.minus(options.keepUntaggedFor());
            staleCutoff = t0.minus(options.settleDelay().multipliedBy(2).plus(STALE_MARGIN));

            Mark first = markAll(youngCutoff, null);
            List<String> staleMarkers = new ArrayList<>();
            long[] blobCounts = new long[2]; // scanned, kept
            List<Candidate> candidates = listBlobs(first.blobs, graceCutoff, staleMarkers, blobCounts);
            List<Revision> doomed = new ArrayList<>(first.doomed);
            if (options.dryRun()) {
                long purgeable = purgeUploads(first.scans.keySet(), true);
                long bytes = candidates.stream().mapToLong(Candidate::size).sum();
                return report(start, 0, first.repositories, first.manifestsKept.get(), doomed.size(), 0,
                        blobCounts[0], blobCounts[1], candidates.size(), 0, bytes, purgeable, 0);
            }
            for (RepoScan scan : first.scans.values()) {
                staleMarkers.addAll(scan.staleRevisionMarkers);
            }
            deleteAll(staleMarkers);

            hooks.before(GcPhase.ANNOUNCE);
            parallel(doomed, r -> markers.intend(RegistryLayout.manifestRevisionDir(r.repository(), r.digest())));
            parallel(candidates, c -> markers.intend(RegistryLayout.blobDir(c.digest())));

            hooks.before(GcPhase.SETTLE);
            long settleStart = System.nanoTime();
            Thread.sleep(options.settleDelay().toMillis());
            long settleNanos = System.nanoTime() - settleStart;

            hooks.before(GcPhase.REMARK);
            // Everything written since T0 is a root now, whatever the untagged policy says.
            Instant remarkCutoff = youngCutoff.isBefore(t0) ? youngCutoff : t0;
            Set<Digest> candidateSet = new HashSet<>();
            candidates.forEach(c -> candidateSet.add(c.digest()));
            Mark second = markAll(remarkCutoff, candidateSet);
            Set<Revision> stillDoomed = new HashSet<>(second.doomed);
            List<Revision> revisionsToSweep = new ArrayList<>();
            List<Revision> revisionsKept = new ArrayList<>();
            for (Revision r : doomed) {
                (stillDoomed.contains(r) ? revisionsToSweep : revisionsKept).add(r);
            }
            parallel(revisionsKept, r -> markers.withdraw(RegistryLayout.manifestRevisionDir(r.repository(), r.digest())));
            List<Candidate> blobsToSweep = new ArrayList<>();
            List<Candidate> blobsKept = new ArrayList<>();
            for (Candidate c : candidates) {
                (second.blobs.contains(c.digest()) ? blobsKept : blobsToSweep).add(c);
            }
            parallel(blobsKept, c -> markers.withdraw(RegistryLayout.blobDir(c.digest())));

            hooks.before(GcPhase.SWEEP_MANIFESTS);
            Set<Digest> rescuedBlobs = ConcurrentHashMap.newKeySet();
            long[] revisionCounts = sweepRevisions(revisionsToSweep, second, rescuedBlobs); // deleted, rescued
            if (!rescuedBlobs.isEmpty()) {
                List<Candidate> reachedFromRescued = new ArrayList<>();
                blobsToSweep.removeIf(c -> rescuedBlobs.contains(c.digest()) && reachedFromRescued.add(c));
                parallel(reachedFromRescued, c -> markers.withdraw(RegistryLayout.blobDir(c.digest())));
                blobsKept.addAll(reachedFromRescued);
            }

            hooks.before(GcPhase.SWEEP_BLOBS);
            long[] blobResult = sweepBlobs(blobsToSweep, second.linkedFrom, graceCutoff); // deleted, rescued, bytes

            hooks.before(GcPhase.PURGE_UPLOADS);
            long purged = purgeUploads(second.scans.keySet(), false);

            hooks.before(GcPhase.SWEEP_LEFTOVERS);
            long leftovers = driver instanceof LeftoverSweepCapable sweepable
                    ? sweepable.sweepLeftovers(graceCutoff) : 0;

            long manifestsDeleted = revisionCounts[0];
            return report(start, settleNanos, second.repositories, second.manifestsKept.get(), manifestsDeleted,
                    revisionsKept.size() + revisionCounts[1], blobCounts[0],
                    blobCounts[0] - blobResult[0], blobResult[0], blobsKept.size() + blobResult[1], blobResult[2],
                    purged, leftovers);
        }

        private GcReport report(long start, long settleNanos, int repositories, long manifestsKept,
                                long manifestsDeleted, long manifestsRescued, long blobsScanned, long blobsKept,
                                long blobsDeleted, long blobsRescued, long bytesFreed, long uploadsPurged,
                                long leftoversSwept) {
            long total = System.nanoTime() - start;
            double workSeconds = Math.max(1e-6, (total - settleNanos) / 1e9);
            double rate = Math.round(blobsScanned / workSeconds * 10) / 10.0;
            return new GcReport(options.dryRun(), t0, total / 1_000_000, settleNanos / 1_000_000, repositories,
                    manifestsKept, manifestsDeleted, manifestsRescued, blobsScanned, blobsKept, blobsDeleted,
                    blobsRescued, bytesFreed, uploadsPurged, leftoversSwept, rate);
        }

        // ------------------------------------------------------------------------------------------ marking

        /**
         * Marks every repository in parallel. With {@code linkIndexFor}, also records which repositories link
         * those blobs, so the sweep can unlink them.
         */
        private Mark markAll(Instant youngCutoff, Set<Digest> linkIndexFor) throws IOException, InterruptedException {
            Mark mark = new Mark();
            List<String> names = Repositories.all(driver);
            mark.repositories = names.size();
            parallel(names, name -> {
                RepoScan scan = scan(name);
                mark.scans.put(name, scan);
                markRepository(scan, youngCutoff, mark);
                if (linkIndexFor != null) {
                    for (Digest d : scan.links) {
                        if (linkIndexFor.contains(d)) {
                            mark.linkedFrom.computeIfAbsent(d, k -> new Bag<>()).add(name);
                        }
                    }
                }
            });
            return mark;
        }

        private RepoScan scan(String name) throws IOException {
            RepoScan scan = new RepoScan(name);
            String manifests = RegistryLayout.manifests(name);
            walk(manifests, info -> {
                String[] p = relative(manifests, info.path());
                if (p.length == 4 && p[0].equals("revisions")) {
                    Digest d = digest(p[1], p[2]);
                    if (d == null) {
                        return;
                    }
                    if (p[3].equals("link")) {
                        scan.revisions.put(d, info.modTime());
                    } else if (p[3].equals(RegistryLayout.GC_INTENT) || p[3].equals(RegistryLayout.GC_CLAIMED)) {
                        if (info.modTime() != null && info.modTime().isBefore(staleCutoff)) {
                            scan.staleRevisionMarkers.add(info.path());
                        }
                    }
                } else if (p.length == 4 && p[0].equals("tags") && p[2].equals("current") && p[3].equals("link")) {
                    Digest target = tagTarget(info.path());
                    if (target != null) {
                        scan.tagged.add(target);
                    }
                }
            });
            String referrers = RegistryLayout.repository(name) + "/_referrers";
            walk(referrers, info -> {
                String[] p = relative(referrers, info.path());
                if (p.length == 5 && p[4].equals("link")) {
                    Digest subject = digest(p[0], p[1]);
                    Digest referrer = digest(p[2], p[3]);
                    if (subject != null && referrer != null) {
                        scan.referrersOf.computeIfAbsent(subject, k -> new ArrayList<>()).add(referrer);
                        scan.subjectsOf.computeIfAbsent(referrer, k -> new ArrayList<>()).add(subject);
                    }
                }
            });
            String layers = RegistryLayout.layerLinks(name);
            walk(layers, info -> {
                String[] p = relative(layers, info.path());
                if (p.length == 3 && p[2].equals("link")) {
                    Digest d = digest(p[0], p[1]);
                    if (d != null) {
                        scan.links.add(d);
                    }
                }
            });
            return scan;
        }

        /**
         * Keeps what tags and young revisions reach, through index children and referrers, and marks every blob
         * (manifest bodies included) that kept manifests reference. Unreached revisions become doomed.
         */
        private void markRepository(RepoScan scan, Instant youngCutoff, Mark mark) throws IOException {
            Deque<Digest> queue = new ArrayDeque<>(scan.tagged);
            scan.revisions.forEach((d, modTime) -> {
                if (modTime == null || !modTime.isBefore(youngCutoff)) {
                    queue.add(d);
                }
            });
            Set<Digest> kept = new HashSet<>();
            while (!queue.isEmpty()) {
                Digest m = queue.poll();
                if (!kept.add(m)) {
                    continue;
                }
                mark.blobs.add(m);
                Refs r = refsOf(m);
                mark.blobs.addAll(r.blobs());
                queue.addAll(r.children());
                queue.addAll(scan.referrersOf.getOrDefault(m, List.of()));
            }
            for (Digest d : scan.revisions.keySet()) {
                if (kept.contains(d)) {
                    mark.manifestsKept.incrementAndGet();
                } else {
                    mark.doomed.add(new Revision(scan.name, d));
                }
            }
        }

        private Refs refsOf(Digest manifest) throws IOException {
            Refs cached = refs.get(manifest);
            if (cached != null) {
                return cached;
            }
            byte[] body;
            try {
                body = driver.getContent(RegistryLayout.blobData(manifest));
            } catch (PathNotFoundException e) {
                log.warn("gc: manifest {} is referenced but its bytes are missing", manifest);
                return Refs.NONE;
            }
            Refs parsed = parseRefs(manifest, body);
            refs.put(manifest, parsed);
            return parsed;
        }

        private Digest tagTarget(String path) throws IOException {
            try {
                return Digest.parse(new String(driver.getContent(path), StandardCharsets.US_ASCII).trim());
            } catch (PathNotFoundException e) {
                return null; // untagged since the walk
            } catch (InvalidDigestException e) {
                log.warn("gc: ignoring corrupt tag link {}", path);
                return null;
            }
        }

        // ------------------------------------------------------------------------------------------ blobs

        /**
         * One walk of the blob tree: every blob dir's objects come out together. Returns the unmarked blobs older
         * than the grace period; collects markers of collectors that died into {@code staleMarkers}.
         */
        private List<Candidate> listBlobs(Set<Digest> marked, Instant graceCutoff, List<String> staleMarkers,
                                          long[] counts) throws IOException {
            List<Candidate> candidates = new ArrayList<>();
            BlobDir[] current = {null};
            IoConsumer<BlobDir> finish = dir -> {
                if (dir == null) {
                    return;
                }
                if (dir.data == null) {
                    // Markers without bytes: left by a collector that died after deleting the bytes.
                    dir.markers.forEach((path, time) -> {
                        if (time.isBefore(staleCutoff)) {
                            staleMarkers.add(path);
                        }
                    });
                    return;
                }
                counts[0]++;
                // A claim this old blocks writers and will never be finished: drop it, and a stale intent too.
                dir.markers.forEach((path, time) -> {
                    if (!path.endsWith("/" + RegistryLayout.TOUCHED) && time.isBefore(staleCutoff)) {
                        staleMarkers.add(path);
                    }
                });
                Instant lastUse = dir.data.modTime();
                if (dir.touched != null && dir.touched.isAfter(lastUse)) {
                    lastUse = dir.touched;
                }
                if (!marked.contains(dir.digest) && lastUse.isBefore(graceCutoff)) {
                    candidates.add(new Candidate(dir.digest, dir.data.size()));
                } else {
                    counts[1]++;
                }
            };
            walk(RegistryLayout.BLOBS, info -> {
                String[] p = relative(RegistryLayout.BLOBS, info.path());
                if (p.length != 4) {
                    return;
                }
                Digest d = digest(p[0], p[2]);
                if (d == null) {
                    return;
                }
                if (current[0] == null || !current[0].digest.equals(d)) {
                    finish.accept(current[0]);
                    current[0] = new BlobDir(d);
                }
                BlobDir dir = current[0];
                Instant time = info.modTime() == null ? Instant.EPOCH : info.modTime();
                switch (p[3]) {
                    case "data" -> dir.data = info.modTime() == null
                            ? new FileInfo(info.path(), info.size(), Instant.EPOCH, false) : info;
                    case RegistryLayout.TOUCHED -> {
                        dir.touched = time;
                        dir.markers.put(info.path(), time);
                    }
                    case RegistryLayout.GC_INTENT, RegistryLayout.GC_CLAIMED -> dir.markers.put(info.path(), time);
                    default -> {
                    }
                }
            });
            finish.accept(current[0]);
            return candidates;
        }

        /**
         * Claims every doomed revision, then deletes the claimed ones: referrers entries, link, claim. A revision
         * whose claim failed was rescued, typically as the child of an index pushed after the re-mark, which
         * rescues only its direct children: so whatever a rescued revision reaches (children, referrers, blobs)
         * is kept too, releasing claims already taken on it. Those blobs are added to {@code rescuedBlobs}.
         */
        private long[] sweepRevisions(List<Revision> revisions, Mark mark, Set<Digest> rescuedBlobs)
                throws IOException, InterruptedException {
            Set<Revision> claimed = ConcurrentHashMap.newKeySet();
            Bag<Revision> rescued = new Bag<>();
            for (List<Revision> batch : batches(revisions)) {
                parallel(batch, r -> {
                    if (markers.claim(RegistryLayout.manifestRevisionDir(r.repository(), r.digest()))) {
                        claimed.add(r);
                    } else {
                        rescued.add(r); // re-pushed, newly tagged or referenced by a new index meanwhile
                    }
                });
            }
            Deque<Revision> queue = new ArrayDeque<>(rescued);
            Set<Revision> reached = new HashSet<>();
            List<String> released = new ArrayList<>();
            while (!queue.isEmpty()) {
                Revision r = queue.poll();
                if (!reached.add(r)) {
                    continue;
                }
                if (claimed.remove(r)) {
                    released.add(RegistryLayout.manifestRevisionMarker(r.repository(), r.digest(), RegistryLayout.GC_CLAIMED));
                }
                rescuedBlobs.add(r.digest());
                Refs refs = refsOf(r.digest());
                rescuedBlobs.addAll(refs.blobs());
                refs.children().forEach(c -> queue.add(new Revision(r.repository(), c)));
                RepoScan scan = mark.scans.get(r.repository());
                if (scan != null) {
                    scan.referrersOf.getOrDefault(r.digest(), List.of()).forEach(c -> queue.add(new Revision(r.repository(), c)));
                }
            }
            deleteAll(released);
            long deleted = 0;
            for (List<Revision> batch : batches(new ArrayList<>(claimed))) {
                List<String> entries = new ArrayList<>();
                List<String> links = new ArrayList<>();
                List<String> claims = new ArrayList<>();
                for (Revision r : batch) {
                    RepoScan scan = mark.scans.get(r.repository());
                    for (Digest subject : scan == null ? List.<Digest>of() : scan.subjectsOf.getOrDefault(r.digest(), List.of())) {
                        entries.add(RegistryLayout.referrer(r.repository(), subject, r.digest()));
                    }
                    links.add(RegistryLayout.manifestRevision(r.repository(), r.digest()));
                    claims.add(RegistryLayout.manifestRevisionMarker(r.repository(), r.digest(), RegistryLayout.GC_CLAIMED));
                }
                // Referrers entries first, so the referrers API never lists a manifest that is gone.
                deleteAll(entries);
                deleteAll(links);
                batch.forEach(r -> caches.invalidateRevision(r.repository(), r.digest()));
                deleteAll(claims);
                deleted += batch.size();
            }
            return new long[] {deleted, revisions.size() - deleted};
        }

        /**
         * Claims each candidate, re-checks that no writer touched it since the listing, then removes repository
         * links before the bytes: no repository ever advertises a blob that cannot be read.
         */
        private long[] sweepBlobs(List<Candidate> candidates, Map<Digest, Bag<String>> linkedFrom,
                                  Instant graceCutoff) throws IOException, InterruptedException {
            AtomicLong rescued = new AtomicLong();
            long deleted = 0;
            long bytes = 0;
            for (List<Candidate> batch : batches(candidates)) {
                Bag<Candidate> doomed = new Bag<>();
                Bag<String> released = new Bag<>();
                parallel(batch, c -> {
                    String dir = RegistryLayout.blobDir(c.digest());
                    if (!markers.claim(dir)) {
                        rescued.incrementAndGet();
                        return;
                    }
                    Instant data = modTime(RegistryLayout.blobData(c.digest()));
                    Instant touched = modTime(RegistryLayout.blobMarker(c.digest(), RegistryLayout.TOUCHED));
                    boolean fresh = (data != null && !data.isBefore(graceCutoff))
                            || (touched != null && !touched.isBefore(graceCutoff));
                    if (data == null || fresh) {
                        // Re-uploaded or mounted since the listing: the writer's grace period applies again.
                        released.add(dir + "/" + RegistryLayout.GC_CLAIMED);
                        if (data != null) {
                            rescued.incrementAndGet();
                        }
                    } else {
                        doomed.add(c);
                    }
                });
                deleteAll(released);
                List<String> links = new ArrayList<>();
                List<String> data = new ArrayList<>();
                List<String> rest = new ArrayList<>();
                List<String> claims = new ArrayList<>();
                for (Candidate c : doomed) {
                    for (String repository : linkedFrom.getOrDefault(c.digest(), new Bag<>())) {
                        links.add(RegistryLayout.layerLink(repository, c.digest()));
                    }
                    data.add(RegistryLayout.blobData(c.digest()));
                    rest.add(RegistryLayout.blobMarker(c.digest(), RegistryLayout.TOUCHED));
                    claims.add(RegistryLayout.blobMarker(c.digest(), RegistryLayout.GC_CLAIMED));
                    bytes += c.size();
                }
                deleteAll(links);
                deleteAll(data);
                // This process's entries go now; other replicas' expired before the claim (see d.b.r.cache).
                for (Candidate c : doomed) {
                    caches.invalidateBlob(c.digest());
                    linkedFrom.getOrDefault(c.digest(), new Bag<>())
                            .forEach(repository -> caches.invalidateLink(repository, c.digest()));
                }
                deleteAll(rest);
                // The claim goes last: a waiting upload writes fresh bytes once the old ones are gone.
                deleteAll(claims);
                deleted += doomed.size();
            }
            return new long[] {deleted, rescued.get(), bytes};
        }

        // ------------------------------------------------------------------------------------------ uploads

        /** Deletes (or, in a dry run, counts) upload sessions without activity for the upload TTL. */
        private long purgeUploads(Collection<String> repositories, boolean dryRun)
                throws IOException, InterruptedException {
            Instant cutoff = t0.minus(options.uploadTtl());
            AtomicLong purged = new AtomicLong();
            parallel(new ArrayList<>(repositories),
                    name -> purged.addAndGet(UploadPurger.purgeRepository(driver, name, cutoff, dryRun)));
            if (!dryRun) {
                purged.addAndGet(UploadPurger.purgeDriverUploads(driver, options.uploadTtl()));
            }
            return purged.get();
        }

        // ------------------------------------------------------------------------------------------ helpers

        /** The storage's idea of now, so modification times compare without clock skew between hosts. */
        private Instant storageNow() throws IOException {
            driver.putContent(RegistryLayout.gcClock(), Instant.now().toString().getBytes(StandardCharsets.US_ASCII));
            Instant time = driver.stat(RegistryLayout.gcClock()).modTime();
            return time == null ? Instant.now() : time;
        }

        private Instant modTime(String path) throws IOException {
            try {
                FileInfo info = driver.stat(path);
                return info.modTime() == null ? Instant.EPOCH : info.modTime();
            } catch (PathNotFoundException e) {
                return null;
            }
        }

        private <T> List<List<T>> batches(List<T> items) {
            List<List<T>> batches = new ArrayList<>();
            for (int i = 0; i < items.size(); i += options.batchSize()) {
                batches.add(items.subList(i, Math.min(items.size(), i + options.batchSize())));
            }
            return batches;
        }

        /** Batched deletes, spread over the pool; objects already gone are fine. */
        private void deleteAll(Collection<String> paths) throws IOException, InterruptedException {
            if (paths.isEmpty()) {
                return;
            }
            List<String> all = new ArrayList<>(paths);
            int slice = Math.max(1, Math.min(options.batchSize(), (all.size() + options.parallelism() - 1) / options.parallelism()));
            List<List<String>> slices = new ArrayList<>();
            for (int i = 0; i < all.size(); i += slice) {
                slices.add(all.subList(i, Math.min(all.size(), i + slice)));
            }
            parallel(slices, GarbageCollector.this::deleteMany);
        }

        /** Runs {@code action} for every item on the pool and waits; the first failure is rethrown. */
        private <T> void parallel(Collection<T> items, IoConsumer<T> action) throws IOException, InterruptedException {
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
    }

    private int deleteMany(List<String> paths) throws IOException {
        if (driver instanceof BatchDeleteCapable batch) {
            return batch.deleteMany(paths);
        }
        int deleted = 0;
        for (String path : paths) {
            try {
                driver.delete(path);
                deleted++;
            } catch (PathNotFoundException gone) {
                // already deleted
            }
        }
        return deleted;
    }

    private void walk(String path, IoConsumer<FileInfo> visitor) throws IOException {
        try {
            driver.walk(path, info -> {
                visitor.accept(info);
                return true;
            });
        } catch (PathNotFoundException e) {
            // nothing stored there
        }
    }

    /** The path segments of {@code path} below {@code dir}. */
    private static String[] relative(String dir, String path) {
        return path.substring(dir.length() + 1).split("/");
    }

    private static Digest digest(String algorithm, String hex) {
        if (DigestAlgorithm.fromId(algorithm).isEmpty()) {
            return null;
        }
        try {
            return Digest.parse(algorithm + ":" + hex);
        } catch (InvalidDigestException e) {
            return null;
        }
    }

    /**
     * The blobs and child manifests a manifest body references, read leniently from the JSON (config, layers,
     * blobs, manifests): bodies were validated on push, and a collector must not lose references over a field
     * that a stricter parser dislikes.
     */
    static Refs parseRefs(Digest manifest, byte[] body) {
        JsonNode root;
        try {
            root = OciJson.mapper().readTree(body);
        } catch (JacksonException e) {
            throw new UncheckedIOException(new IOException("gc: manifest " + manifest + " is not JSON; refusing to "
                    + "guess what it references"));
        }
        List<Digest> blobs = new ArrayList<>();
        List<Digest> children = new ArrayList<>();
        addDigest(root.get("config"), blobs);
        for (String field : List.of("layers", "blobs")) {
            JsonNode array = root.get(field);
            if (array != null && array.isArray()) {
                array.forEach(d -> addDigest(d, blobs));
            }
        }
        JsonNode manifests = root.get("manifests");
        if (manifests != null && manifests.isArray()) {
            manifests.forEach(d -> addDigest(d, children));
        }
        return new Refs(List.copyOf(blobs), List.copyOf(children));
    }

    private static void addDigest(JsonNode descriptor, List<Digest> into) {
        if (descriptor == null || !descriptor.isObject()) {
            return;
        }
        JsonNode digest = descriptor.get("digest");
        if (digest != null && digest.isString()) {
            try {
                into.add(Digest.parse(digest.asString()));
            } catch (InvalidDigestException e) {
                // not something we store
            }
        }
    }

    /** The objects of one blob directory, gathered during the walk. */
    private static final class BlobDir {
        final Digest digest;
        FileInfo data;
        Instant touched;
        final Map<String, Instant> markers = new HashMap<>();

        BlobDir(Digest digest) {
            this.digest = digest;
        }
    }

    @FunctionalInterface
    private interface IoConsumer<T> {
        void accept(T value) throws IOException;
    }

    private static final class GcThreads implements java.util.concurrent.ThreadFactory {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "berth-gc-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
