package dev.berth.registry.gc;

import dev.berth.oci.Digest;
import dev.berth.oci.InvalidDigestException;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.storage.StorageWalk;
import dev.berth.registry.storage.StoredPath;
import dev.berth.storage.FileInfo;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a collection reads from storage: one walk per repository data directory, one of the blob tree, the
 * manifest bodies (each read once per run, as {@link Mark.References}) and the storage's clock. Paths are read
 * through {@link RegistryLayout#parse}. One instance serves one run.
 */
final class Scan implements Mark.References {
    private static final Logger log = LoggerFactory.getLogger(Scan.class);

    private final StorageDriver driver;
    private final Map<Digest, ManifestRefs> refs = new ConcurrentHashMap<>();

    /** A blob that is a candidate for deletion. */
    record Candidate(Digest digest, long size) {}

    /**
     * What the walk of the blob tree found.
     *
     * @param candidates   unmarked blobs older than the grace period
     * @param staleMarkers markers of collectors that died
     * @param scanned      blobs with bytes
     * @param kept         of which marked or within the grace period
     */
    record BlobCensus(List<Candidate> candidates, List<String> staleMarkers, long scanned, long kept) {}

    Scan(StorageDriver driver) {
        this.driver = driver;
    }

    /** The storage's idea of now, so modification times compare without clock skew between hosts. */
    Instant storageNow() throws IOException {
        driver.putContent(RegistryLayout.gcClock(), Instant.now().toString().getBytes(StandardCharsets.US_ASCII));
        Instant time = driver.stat(RegistryLayout.gcClock()).modTime();
        return time == null ? Instant.now() : time;
    }

    /** Walks repository {@code name}'s manifests, referrers and blob links; markers older than the cutoff are stale. */
    RepositoryScan repository(String name, Instant staleCutoff) throws IOException {
        RepositoryScan scan = RepositoryScan.of(name);
        StorageWalk.walkIfPresent(driver, RegistryLayout.manifests(name), info -> {
            StoredPath stored = RegistryLayout.parse(info.path()).orElse(null);
            if (stored instanceof StoredPath.RevisionLink link) {
                scan.revisions().put(link.digest(), info.modTime());
            } else if (stored instanceof StoredPath.RevisionMarker) {
                if (info.modTime() != null && info.modTime().isBefore(staleCutoff)) {
                    scan.staleRevisionMarkers().add(info.path());
                }
            } else if (stored instanceof StoredPath.TagCurrent) {
                Digest target = tagTarget(info.path());
                if (target != null) {
                    scan.tagged().add(target);
                }
            }
        });
        StorageWalk.walkIfPresent(driver, RegistryLayout.referrersRoot(name), info -> {
            if (RegistryLayout.parse(info.path()).orElse(null) instanceof StoredPath.ReferrerLink link) {
                scan.addReferrer(link.subject(), link.referrer());
            }
        });
        StorageWalk.walkIfPresent(driver, RegistryLayout.layerLinks(name), info -> {
            if (RegistryLayout.parse(info.path()).orElse(null) instanceof StoredPath.LayerLink link) {
                scan.links().add(link.digest());
            }
        });
        return scan;
    }

    /**
     * One walk of the blob tree: every blob dir's objects come out together. Unmarked blobs older than the grace
     * cutoff become candidates; markers of collectors that died (older than the stale cutoff) are collected.
     */
    BlobCensus blobs(Set<Digest> marked, Instant graceCutoff, Instant staleCutoff) throws IOException {
        List<Candidate> candidates = new ArrayList<>();
        List<String> staleMarkers = new ArrayList<>();
        long[] counts = new long[2];
        BlobDir[] current = {null};
        StorageWalk.Visitor finish = ignored -> {
            BlobDir dir = current[0];
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
        StorageWalk.walkIfPresent(driver, RegistryLayout.BLOBS, info -> {
            StoredPath stored = RegistryLayout.parse(info.path()).orElse(null);
            Digest d = stored instanceof StoredPath.BlobData data
                    ? data.digest()
                    : stored instanceof StoredPath.BlobMarker marker ? marker.digest() : null;
            if (d == null) {
                return;
            }
            if (current[0] == null || !current[0].digest.equals(d)) {
                finish.visit(info);
                current[0] = new BlobDir(d);
            }
            current[0].add(stored, info);
        });
        finish.visit(null);
        return new BlobCensus(candidates, staleMarkers, counts[0], counts[1]);
    }

    /** The references of a manifest body, read once per run; none when its bytes are missing. */
    @Override
    public ManifestRefs of(Digest manifest) throws IOException {
        ManifestRefs cached = refs.get(manifest);
        if (cached != null) {
            return cached;
        }
        byte[] body;
        try {
            body = driver.getContent(RegistryLayout.blobData(manifest));
        } catch (PathNotFoundException e) {
            log.warn("gc: manifest {} is referenced but its bytes are missing", manifest);
            return ManifestRefs.NONE;
        }
        ManifestRefs parsed = ManifestRefs.parse(manifest, body);
        refs.put(manifest, parsed);
        return parsed;
    }

    /** The modification time of an object, or null when there is none. */
    Instant modTime(String path) throws IOException {
        try {
            FileInfo info = driver.stat(path);
            return info.modTime() == null ? Instant.EPOCH : info.modTime();
        } catch (PathNotFoundException e) {
            return null;
        }
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

    /** The objects of one blob directory, gathered during the walk. */
    private static final class BlobDir {
        final Digest digest;
        FileInfo data;
        Instant touched;
        final Map<String, Instant> markers = new HashMap<>();

        BlobDir(Digest digest) {
            this.digest = digest;
        }

        void add(StoredPath stored, FileInfo info) {
            Instant time = info.modTime() == null ? Instant.EPOCH : info.modTime();
            if (stored instanceof StoredPath.BlobData) {
                data = info.modTime() == null ? new FileInfo(info.path(), info.size(), Instant.EPOCH, false) : info;
                return;
            }
            if (stored instanceof StoredPath.BlobMarker marker
                    && marker.marker().equals(RegistryLayout.TOUCHED)) {
                touched = time;
            }
            markers.put(info.path(), time);
        }
    }
}
