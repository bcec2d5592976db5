package dev.berth.registry.gc;

import dev.berth.oci.Digest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one walk of a repository's data directories found: the graph that {@link Mark} walks, and what the sweep
 * needs to unlink.
 *
 * @param name                 the repository
 * @param revisions            manifest revisions, with the modification time of their links
 * @param staleRevisionMarkers GC markers of revisions left by a collector that died
 * @param tagged               manifests that tags point to
 * @param referrersOf          subject to the manifests that refer to it
 * @param subjectsOf           referring manifest to its subjects
 * @param links                blobs the repository links
 */
record RepositoryScan(
        String name,
        Map<Digest, Instant> revisions,
        List<String> staleRevisionMarkers,
        Set<Digest> tagged,
        Map<Digest, List<Digest>> referrersOf,
        Map<Digest, List<Digest>> subjectsOf,
        List<Digest> links) {

    /** An empty scan to fill. */
    static RepositoryScan of(String name) {
        return new RepositoryScan(
                name,
                new HashMap<>(),
                new ArrayList<>(),
                new HashSet<>(),
                new HashMap<>(),
                new HashMap<>(),
                new ArrayList<>());
    }

    void addReferrer(Digest subject, Digest referrer) {
        referrersOf.computeIfAbsent(subject, k -> new ArrayList<>()).add(referrer);
        subjectsOf.computeIfAbsent(referrer, k -> new ArrayList<>()).add(subject);
    }
}
