package dev.berth.registry.gc;

import dev.berth.oci.Digest;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Marking, as a pure walk over the reference graph: roots are a repository's tags and its young revisions; edges
 * go from a manifest to the blobs and child manifests its body references ({@link References}) and to the
 * manifests that refer to it (referrers). Reads nothing from storage itself.
 */
final class Mark {
    private Mark() {}

    /** The references a manifest's body holds (read from storage by a collection, from a map by tests). */
    @FunctionalInterface
    interface References {
        ManifestRefs of(Digest manifest) throws IOException;
    }

    /** A manifest revision in one repository. */
    record Revision(String repository, Digest digest) {}

    /**
     * The outcome of marking one repository.
     *
     * @param kept   revisions that tags or young revisions reach
     * @param doomed the repository's other revisions
     * @param blobs  every blob that kept manifests reference, their own bodies included
     */
    record Result(Set<Digest> kept, List<Revision> doomed, Set<Digest> blobs) {}

    /**
     * What a set of rescued revisions reaches, through index children and referrers within their repository.
     *
     * @param revisions the revisions reached, the rescued ones included
     * @param blobs     the blobs they reference, their own bodies included
     */
    record Reached(Set<Revision> revisions, Set<Digest> blobs) {}

    /**
     * Keeps what tags and revisions written at or after {@code youngCutoff} reach (a revision without a time
     * counts as young), and marks every blob kept manifests reference. Unreached revisions are doomed.
     */
    static Result repository(RepositoryScan scan, Instant youngCutoff, References refs) throws IOException {
        Deque<Digest> queue = new ArrayDeque<>(scan.tagged());
        scan.revisions().forEach((d, modTime) -> {
            if (modTime == null || !modTime.isBefore(youngCutoff)) {
                queue.add(d);
            }
        });
        Set<Digest> kept = new HashSet<>();
        Set<Digest> blobs = new HashSet<>();
        while (!queue.isEmpty()) {
            Digest m = queue.poll();
            if (!kept.add(m)) {
                continue;
            }
            blobs.add(m);
            ManifestRefs r = refs.of(m);
            blobs.addAll(r.blobs());
            queue.addAll(r.children());
            queue.addAll(scan.referrersOf().getOrDefault(m, List.of()));
        }
        List<Revision> doomed = new ArrayList<>();
        for (Digest d : scan.revisions().keySet()) {
            if (!kept.contains(d)) {
                doomed.add(new Revision(scan.name(), d));
            }
        }
        return new Result(kept, doomed, blobs);
    }

    /**
     * Everything {@code roots} reach: a revision rescued during the sweep (typically the child of an index pushed
     * after the re-mark, which rescues only its direct children) keeps what it reaches too.
     */
    static Reached reachedFrom(Collection<Revision> roots, Map<String, RepositoryScan> scans, References refs)
            throws IOException {
        Deque<Revision> queue = new ArrayDeque<>(roots);
        Set<Revision> reached = new HashSet<>();
        Set<Digest> blobs = new HashSet<>();
        while (!queue.isEmpty()) {
            Revision r = queue.poll();
            if (!reached.add(r)) {
                continue;
            }
            blobs.add(r.digest());
            ManifestRefs body = refs.of(r.digest());
            blobs.addAll(body.blobs());
            body.children().forEach(c -> queue.add(new Revision(r.repository(), c)));
            RepositoryScan scan = scans.get(r.repository());
            if (scan != null) {
                scan.referrersOf()
                        .getOrDefault(r.digest(), List.of())
                        .forEach(c -> queue.add(new Revision(r.repository(), c)));
            }
        }
        return new Reached(reached, blobs);
    }
}
