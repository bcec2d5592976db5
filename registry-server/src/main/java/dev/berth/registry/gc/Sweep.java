package dev.berth.registry.gc;

import dev.berth.oci.Digest;
import dev.berth.registry.cache.RegistryCaches;
import dev.berth.registry.gc.Mark.Revision;
import dev.berth.registry.gc.Scan.Candidate;
import dev.berth.registry.storage.GcMarkers;
import dev.berth.registry.storage.RegistryLayout;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sweeping, the side of the intent/claim protocol (see the package documentation) that deletes: claims each
 * announced object, releases what a writer rescued, and deletes the rest in an order that never shows a reader
 * a dangling reference (referrers entries before revision links, repository links before blob bytes, claims
 * last).
 */
final class Sweep {
    private final GcMarkers markers;
    private final RegistryCaches caches;
    private final GcPool pool;
    private final Scan scan;

    /**
     * @param deleted revisions deleted
     * @param rescued revisions whose claim failed or that a rescued revision reaches
     */
    record RevisionSweep(long deleted, long rescued) {}

    /**
     * @param deleted    blobs deleted
     * @param rescued    blobs whose claim failed or that a writer relied on since the listing
     * @param bytesFreed size of the deleted blobs
     */
    record BlobSweep(long deleted, long rescued, long bytesFreed) {}

    Sweep(GcMarkers markers, RegistryCaches caches, GcPool pool, Scan scan) {
        this.markers = markers;
        this.caches = caches;
        this.pool = pool;
        this.scan = scan;
    }

    /**
     * Claims every doomed revision, then deletes the claimed ones: referrers entries, link, claim. A revision
     * whose claim failed was rescued, typically as the child of an index pushed after the re-mark, which
     * rescues only its direct children: so whatever a rescued revision reaches (children, referrers, blobs)
     * is kept too, releasing claims already taken on it. Those blobs are added to {@code rescuedBlobs}.
     */
    RevisionSweep revisions(List<Revision> revisions, Map<String, RepositoryScan> scans, Set<Digest> rescuedBlobs)
            throws IOException, InterruptedException {
        Set<Revision> claimed = ConcurrentHashMap.newKeySet();
        Queue<Revision> rescued = new ConcurrentLinkedQueue<>();
        for (List<Revision> batch : pool.batches(revisions)) {
            pool.parallel(batch, r -> {
                if (markers.claim(RegistryLayout.manifestRevisionDir(r.repository(), r.digest()))) {
                    claimed.add(r);
                } else {
                    rescued.add(r); // re-pushed, newly tagged or referenced by a new index meanwhile
                }
            });
        }
        Mark.Reached reached = Mark.reachedFrom(rescued, scans, scan);
        List<String> released = new ArrayList<>();
        for (Revision r : reached.revisions()) {
            if (claimed.remove(r)) {
                released.add(claim(r));
            }
        }
        rescuedBlobs.addAll(reached.blobs());
        pool.deleteAll(released);
        long deleted = 0;
        for (List<Revision> batch : pool.batches(new ArrayList<>(claimed))) {
            List<String> entries = new ArrayList<>();
            List<String> links = new ArrayList<>();
            List<String> claims = new ArrayList<>();
            for (Revision r : batch) {
                RepositoryScan repository = scans.get(r.repository());
                List<Digest> subjects =
                        repository == null ? List.of() : repository.subjectsOf().getOrDefault(r.digest(), List.of());
                for (Digest subject : subjects) {
                    entries.add(RegistryLayout.referrer(r.repository(), subject, r.digest()));
                }
                links.add(RegistryLayout.manifestRevision(r.repository(), r.digest()));
                claims.add(claim(r));
            }
            // Referrers entries first, so the referrers API never lists a manifest that is gone.
            pool.deleteAll(entries);
            pool.deleteAll(links);
            batch.forEach(r -> caches.invalidateRevision(r.repository(), r.digest()));
            pool.deleteAll(claims);
            deleted += batch.size();
        }
        return new RevisionSweep(deleted, revisions.size() - deleted);
    }

    /**
     * Claims each candidate, re-checks that no writer touched it since the listing, then removes repository
     * links before the bytes: no repository ever advertises a blob that cannot be read.
     */
    BlobSweep blobs(List<Candidate> candidates, Map<Digest, Collection<String>> linkedFrom, Instant graceCutoff)
            throws IOException, InterruptedException {
        AtomicLong rescued = new AtomicLong();
        long deleted = 0;
        long bytes = 0;
        for (List<Candidate> batch : pool.batches(candidates)) {
            Queue<Candidate> doomed = new ConcurrentLinkedQueue<>();
            Queue<String> released = new ConcurrentLinkedQueue<>();
            pool.parallel(batch, c -> {
                String dir = RegistryLayout.blobDir(c.digest());
                if (!markers.claim(dir)) {
                    rescued.incrementAndGet();
                    return;
                }
                Instant data = scan.modTime(RegistryLayout.blobData(c.digest()));
                Instant touched = scan.modTime(RegistryLayout.blobMarker(c.digest(), RegistryLayout.TOUCHED));
                boolean fresh = (data != null && !data.isBefore(graceCutoff))
                        || (touched != null && !touched.isBefore(graceCutoff));
                if (data == null || fresh) {
                    // Re-uploaded or mounted since the listing: the writer's grace period applies again.
                    released.add(RegistryLayout.blobMarker(c.digest(), RegistryLayout.GC_CLAIMED));
                    if (data != null) {
                        rescued.incrementAndGet();
                    }
                } else {
                    doomed.add(c);
                }
            });
            pool.deleteAll(released);
            List<String> links = new ArrayList<>();
            List<String> data = new ArrayList<>();
            List<String> rest = new ArrayList<>();
            List<String> claims = new ArrayList<>();
            for (Candidate c : doomed) {
                for (String repository : linkedFrom.getOrDefault(c.digest(), List.of())) {
                    links.add(RegistryLayout.layerLink(repository, c.digest()));
                }
                data.add(RegistryLayout.blobData(c.digest()));
                rest.add(RegistryLayout.blobMarker(c.digest(), RegistryLayout.TOUCHED));
                claims.add(RegistryLayout.blobMarker(c.digest(), RegistryLayout.GC_CLAIMED));
                bytes += c.size();
            }
            pool.deleteAll(links);
            pool.deleteAll(data);
            // This process's entries go now; other replicas' expired before the claim (see d.b.r.cache).
            for (Candidate c : doomed) {
                caches.invalidateBlob(c.digest());
                linkedFrom
                        .getOrDefault(c.digest(), List.of())
                        .forEach(repository -> caches.invalidateLink(repository, c.digest()));
            }
            pool.deleteAll(rest);
            // The claim goes last: a waiting upload writes fresh bytes once the old ones are gone.
            pool.deleteAll(claims);
            deleted += doomed.size();
        }
        return new BlobSweep(deleted, rescued.get(), bytes);
    }

    private static String claim(Revision r) {
        return RegistryLayout.manifestRevisionMarker(r.repository(), r.digest(), RegistryLayout.GC_CLAIMED);
    }
}
