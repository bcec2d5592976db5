package dev.berth.registry.proxy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.oci.ManifestParser;
import dev.berth.oci.ParsedManifest;
import dev.berth.registry.gc.GcService;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.storage.BlobStore;
import dev.berth.registry.storage.Blocking;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.storage.Repositories;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an upstream's cache under its {@code max-size} by evicting the least recently used manifests. Eviction
 * only deletes manifest revisions (and the tags on them) from the cached repositories, exactly as a client's
 * {@code DELETE} would; the bytes then go through the ordinary online garbage collection, which this starts.
 * That keeps its guarantees: nothing is deleted under a reader that resolved it (intent, settle delay, claim),
 * blobs still referenced elsewhere, e.g. by a local tag, are never deleted, and bytes younger than
 * {@code berth.gc.grace-period} stay until a later collection. A later pull of evicted content fetches it again.
 *
 * <p>The cache's size is the sum of the distinct blobs (and manifest bodies) its manifests reference. "Recently
 * used" is when this process last served the manifest, or else when it was cached.
 */
final class CacheEvictor {
    private static final Logger log = LoggerFactory.getLogger(CacheEvictor.class);

    private final StorageDriver driver;
    private final ManifestService manifests;
    private final BlobStore blobs;
    private final Blocking blocking;
    private final GcService gc;
    /** When each cached manifest ({@code repository@digest}) was last served, by this process. */
    private final Cache<String, Instant> used =
            Caffeine.newBuilder().maximumSize(200_000).build();
    /** Per upstream: 0 idle, 1 running, 2 running and asked to run again. */
    private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

    CacheEvictor(StorageDriver driver, ManifestService manifests, BlobStore blobs, Blocking blocking, GcService gc) {
        this.driver = driver;
        this.manifests = manifests;
        this.blobs = blobs;
        this.blocking = blocking;
        this.gc = gc;
    }

    void used(String repository, String digest) {
        used.put(repository + "@" + digest, Instant.now());
    }

    /** After content was added: evicts in the background if the upstream is over its size; one run at a time. */
    void added(UpstreamClient upstream) {
        if (upstream.maxSize() == null) {
            return;
        }
        AtomicInteger state = runs.computeIfAbsent(upstream.name(), k -> new AtomicInteger());
        if (state.getAndUpdate(s -> Math.min(2, s + 1)) > 0) {
            return; // the running pass will go again
        }
        blocking.run(() -> {
                    do {
                        state.set(1);
                        evict(upstream);
                    } while (!state.compareAndSet(1, 0));
                })
                .subscribe(null, e -> {
                    state.set(0);
                    log.warn("proxy: eviction for upstream {} failed: {}", upstream.name(), e.toString());
                });
    }

    private record Entry(String repository, Digest digest, Instant lastUsed, Set<Digest> content) {}

    /** One pass; returns how many manifests it evicted. */
    int evict(UpstreamClient upstream) throws IOException {
        long max = upstream.maxSize().toBytes();
        List<Entry> entries = new ArrayList<>();
        Map<Digest, Long> sizes = new HashMap<>();
        for (String repository : Repositories.all(driver)) {
            if (!repository.startsWith(upstream.prefix() + "/")) {
                continue;
            }
            for (Digest digest : revisions(repository)) {
                Optional<Entry> entry = entry(repository, digest, sizes);
                entry.ifPresent(entries::add);
            }
        }
        long total = sizes.values().stream().mapToLong(Long::longValue).sum();
        if (total <= max) {
            return 0;
        }
        Map<Digest, Integer> references = new HashMap<>();
        entries.forEach(e -> e.content().forEach(d -> references.merge(d, 1, Integer::sum)));
        entries.sort(Comparator.comparing(Entry::lastUsed));
        int evicted = 0;
        for (Entry e : entries) {
            if (total <= max) {
                break;
            }
            if (manifests.delete(e.repository(), e.digest())) {
                // Fetched again later, it is a new entry: its use starts then, not at this one's last use.
                used.invalidate(e.repository() + "@" + e.digest());
                evicted++;
                log.info(
                        "proxy: evicted {}@{} (last used {}) from the cache of upstream {}",
                        e.repository(),
                        e.digest(),
                        e.lastUsed(),
                        upstream.name());
            }
            for (Digest d : e.content()) {
                if (references.merge(d, -1, Integer::sum) == 0) {
                    total -= sizes.get(d);
                }
            }
        }
        if (evicted > 0 && gc.start(false).isEmpty()) {
            log.info("proxy: a garbage collection is already running; evicted bytes go with the next one");
        }
        return evicted;
    }

    private List<Digest> revisions(String repository) throws IOException {
        List<Digest> digests = new ArrayList<>();
        for (DigestAlgorithm algorithm : DigestAlgorithm.values()) {
            try {
                for (String dir : driver.list(RegistryLayout.manifestRevisions(repository) + "/" + algorithm.id())) {
                    String hex = dir.substring(dir.lastIndexOf('/') + 1);
                    if (Digest.isValid(algorithm.id() + ":" + hex)) {
                        digests.add(Digest.parse(algorithm.id() + ":" + hex));
                    }
                }
            } catch (PathNotFoundException e) {
                // no revisions of this algorithm
            }
        }
        return digests;
    }

    /** The manifest's own bytes and the blobs it references, with their sizes; empty when it went meanwhile. */
    private Optional<Entry> entry(String repository, Digest digest, Map<Digest, Long> sizes) throws IOException {
        Optional<Descriptor> descriptor = manifests.manifests().stat(repository, digest);
        if (descriptor.isEmpty()) {
            return Optional.empty();
        }
        Set<Digest> content = new HashSet<>();
        content.add(digest);
        sizes.put(digest, descriptor.get().size());
        try {
            ParsedManifest parsed = ManifestParser.parse(
                    manifests.manifests().content(digest), descriptor.get().mediaType());
            for (Descriptor blob : parsed.blobs()) {
                content.add(blob.digest());
                if (!sizes.containsKey(blob.digest())) {
                    sizes.put(blob.digest(), blobs.size(blob.digest()).orElse(0L));
                }
            }
        } catch (PathNotFoundException | IllegalArgumentException e) {
            // bytes gone or unparsable: the manifest alone is what it holds
        }
        Instant lastUsed = used.getIfPresent(repository + "@" + digest);
        if (lastUsed == null) {
            lastUsed = driver.stat(RegistryLayout.manifestRevision(repository, digest))
                    .modTime();
        }
        return Optional.of(new Entry(repository, digest, lastUsed, content));
    }
}
