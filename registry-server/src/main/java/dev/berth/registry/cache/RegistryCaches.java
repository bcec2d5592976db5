package dev.berth.registry.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The registry's read caches, one per kind of answer; the stores consult them and invalidate them on every
 * write (see the package documentation for what may be cached and why a cached "present" is safe).
 *
 * <ul>
 *   <li>{@code tags}: (repository, tag) to manifest digest; TTL.</li>
 *   <li>{@code revisions}: (repository, digest) to the revision's descriptor; TTL.</li>
 *   <li>{@code links}: (repository, digest) the repository links the blob; TTL.</li>
 *   <li>{@code blobs}: digest to size of a stored blob; TTL.</li>
 *   <li>{@code manifests}: digest to manifest body; immutable, bounded by total bytes.</li>
 * </ul>
 * Only positive answers are cached, so whatever is written anywhere is visible at once. A TTL entry expires
 * {@code ttl} after the storage read that produced it <em>began</em>, not after it was stored.
 */
public final class RegistryCaches {
    /** Entry overhead counted per cached manifest body besides its bytes. */
    private static final int MANIFEST_OVERHEAD = 96;

    private final boolean enabled;
    private final Duration ttl;
    private final Ticker ticker;
    private final Cache<RepoKey, Checked<Digest>> tags;
    private final Cache<RepoDigest, Checked<Descriptor>> revisions;
    private final Cache<RepoDigest, Checked<Boolean>> links;
    private final Cache<Digest, Checked<Long>> blobs;
    private final Cache<Digest, byte[]> manifests;
    /** Bumped by every invalidation, so a load that raced with one does not leave its stale answer behind. */
    private final AtomicLong generation = new AtomicLong();

    /** A cache key within a repository: a tag. */
    public record RepoKey(String repository, String name) {}

    /** A cache key within a repository: a digest. */
    public record RepoDigest(String repository, Digest digest) {}

    /** A cached answer and when ({@link Ticker} nanos) the storage read that produced it began. */
    record Checked<V>(V value, long checkedAt) {}

    /**
     * What a loader found: {@code value} is null when absent; {@code cacheable} is false for an answer that must
     * not outlive this request (a blob or revision that a garbage collector intends to delete).
     */
    public record Answer<V>(V value, boolean cacheable) {
        public static <V> Answer<V> absent() {
            return new Answer<>(null, false);
        }

        public static <V> Answer<V> of(V value) {
            return new Answer<>(value, true);
        }
    }

    /** A storage read. */
    @FunctionalInterface
    public interface Loader<V> {
        Answer<V> load() throws IOException;
    }

    public RegistryCaches(Duration ttl, long maxEntries, long maxManifestBytes, Ticker ticker) {
        this(true, ttl, maxEntries, maxManifestBytes, ticker);
    }

    private RegistryCaches(boolean enabled, Duration ttl, long maxEntries, long maxManifestBytes, Ticker ticker) {
        this.enabled = enabled;
        this.ttl = ttl;
        this.ticker = ticker;
        this.tags = ttlCache(maxEntries);
        this.revisions = ttlCache(maxEntries);
        this.links = ttlCache(maxEntries);
        this.blobs = ttlCache(maxEntries);
        this.manifests = Caffeine.newBuilder()
                .maximumWeight(maxManifestBytes)
                .weigher((Digest d, byte[] body) -> body.length + MANIFEST_OVERHEAD)
                .recordStats()
                .build();
    }

    /** No caching: every lookup reads storage. */
    public static RegistryCaches disabled() {
        return new RegistryCaches(false, Duration.ZERO, 0, 0, Ticker.systemTicker());
    }

    public boolean enabled() {
        return enabled;
    }

    /** The TTL of entries that storage may change (zero when disabled). */
    public Duration ttl() {
        return ttl;
    }

    // ------------------------------------------------------------------------------------------ lookups

    public Optional<Digest> tag(String repository, String tag, Loader<Digest> loader) throws IOException {
        return lookup(tags, new RepoKey(repository, tag), loader);
    }

    public Optional<Descriptor> revision(String repository, Digest digest, Loader<Descriptor> loader)
            throws IOException {
        return lookup(revisions, new RepoDigest(repository, digest), loader);
    }

    /** Whether the repository links the blob; only "linked" is cached. */
    public boolean link(String repository, Digest digest, Loader<Boolean> loader) throws IOException {
        return lookup(links, new RepoDigest(repository, digest), loader).orElse(false);
    }

    public Optional<Long> blobSize(Digest digest, Loader<Long> loader) throws IOException {
        return lookup(blobs, digest, loader);
    }

    /** A manifest body by digest: content never changes, so entries live until evicted by size. */
    public byte[] manifest(Digest digest, Loader<byte[]> loader) throws IOException {
        if (enabled) {
            byte[] hit = manifests.getIfPresent(digest);
            if (hit != null) {
                return hit;
            }
        }
        byte[] body = loader.load().value();
        if (enabled && body != null) {
            manifests.put(digest, body);
        }
        return body;
    }

    private <K, V> Optional<V> lookup(Cache<K, Checked<V>> cache, K key, Loader<V> loader) throws IOException {
        if (!enabled) {
            return Optional.ofNullable(loader.load().value());
        }
        Checked<V> hit = cache.getIfPresent(key);
        if (hit != null) {
            return Optional.of(hit.value());
        }
        long generationBefore = generation.get();
        long checkedAt = ticker.read();
        Answer<V> answer = loader.load();
        if (answer.value() != null && answer.cacheable()) {
            Checked<V> entry = new Checked<>(answer.value(), checkedAt);
            cache.put(key, entry);
            // An invalidation since the read may concern this key: drop the answer rather than risk it being
            // stale. An invalidation after this check comes after the put and removes it itself.
            if (generation.get() != generationBefore) {
                cache.asMap().remove(key, entry);
            }
        }
        return Optional.ofNullable(answer.value());
    }

    // ------------------------------------------------------------------------------------------ invalidation
    // Callers invalidate after their storage write or delete has completed.

    public void invalidateTag(String repository, String tag) {
        generation.incrementAndGet();
        tags.invalidate(new RepoKey(repository, tag));
    }

    public void invalidateRevision(String repository, Digest digest) {
        generation.incrementAndGet();
        revisions.invalidate(new RepoDigest(repository, digest));
    }

    public void invalidateLink(String repository, Digest digest) {
        generation.incrementAndGet();
        links.invalidate(new RepoDigest(repository, digest));
    }

    /** A blob's bytes were deleted (or claimed): its size and, if it was a manifest, its body. */
    public void invalidateBlob(Digest digest) {
        generation.incrementAndGet();
        blobs.invalidate(digest);
        manifests.invalidate(digest);
    }

    /** Everything cached about one repository (a whole-repository delete). */
    public void invalidateRepository(String repository) {
        generation.incrementAndGet();
        tags.asMap().keySet().removeIf(k -> k.repository().equals(repository));
        Predicate<RepoDigest> inRepository = k -> k.repository().equals(repository);
        revisions.asMap().keySet().removeIf(inRepository);
        links.asMap().keySet().removeIf(inRepository);
    }

    /** Empties every cache. */
    public void invalidateAll() {
        generation.incrementAndGet();
        tags.invalidateAll();
        revisions.invalidateAll();
        links.invalidateAll();
        blobs.invalidateAll();
        manifests.invalidateAll();
    }

    // ------------------------------------------------------------------------------------------ metrics

    /**
     * Hit and miss counts per cache ({@code tags}, {@code revisions}, {@code links}, {@code blobs},
     * {@code manifests}); {@link CacheStats#hitRate()} is the hit ratio. All zero when caching is off.
     */
    public Map<String, CacheStats> stats() {
        Map<String, CacheStats> stats = new LinkedHashMap<>();
        caches().forEach((name, cache) -> stats.put(name, cache.stats()));
        return stats;
    }

    /** The Caffeine caches by name, for binding to a metrics registry (e.g. Micrometer's CaffeineCacheMetrics). */
    public Map<String, Cache<?, ?>> caches() {
        Map<String, Cache<?, ?>> all = new LinkedHashMap<>();
        all.put("tags", tags);
        all.put("revisions", revisions);
        all.put("links", links);
        all.put("blobs", blobs);
        all.put("manifests", manifests);
        return all;
    }

    private <K, V> Cache<K, Checked<V>> ttlCache(long maxEntries) {
        long ttlNanos = ttl.toNanos();
        return Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .expireAfter(new Expiry<K, Checked<V>>() {
                    @Override
                    public long expireAfterCreate(K key, Checked<V> value, long currentTime) {
                        return Math.max(0, ttlNanos - (currentTime - value.checkedAt()));
                    }

                    @Override
                    public long expireAfterUpdate(K key, Checked<V> value, long currentTime, long currentDuration) {
                        return expireAfterCreate(key, value, currentTime);
                    }

                    @Override
                    public long expireAfterRead(K key, Checked<V> value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .ticker(ticker)
                .recordStats()
                .build();
    }
}
