package dev.berth.registry.proxy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.oci.ErrorCode;
import dev.berth.oci.ManifestInvalidException;
import dev.berth.oci.ManifestParser;
import dev.berth.oci.ParsedManifest;
import dev.berth.registry.http.RegistryException;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.proxy.Upstreams.ProxyTarget;
import dev.berth.registry.storage.Blocking;
import dev.berth.registry.storage.RepositoryLinks;
import dev.berth.registry.upload.UploadException;
import dev.berth.registry.upload.UploadSessions;
import dev.berth.registry.upload.UploadWriter;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The cache itself: brings manifests and blobs of an upstream into the local repository that mirrors it, through
 * the same stores a push uses, so that serving is then the ordinary local read.
 *
 * <ul>
 *   <li>A tag is revalidated ({@code HEAD}, compare {@code Docker-Content-Digest}) at most once per
 *       {@code tag-ttl}; manifests by digest and blobs never change, so a cached one is served without asking.</li>
 *   <li>Concurrent requests for the same missing manifest or blob share one upstream fetch (per process): the
 *       first becomes the fetcher, later ones wait for it and then read from storage.</li>
 *   <li>A missing blob is streamed to its first requester while it is written into an upload session and hashed;
 *       the session is committed, and the blob becomes visible, only if the digest verifies. The last buffer is
 *       held back until then, so a client never receives a complete body that did not verify: on a mismatch its
 *       connection is cut and nothing is kept.</li>
 *   <li>With the upstream down (or 5xx), a cached tag is served as it was, marked stale; anything uncached fails
 *       with a spec error naming the upstream.</li>
 * </ul>
 */
public final class PullThroughCache {
    private static final Logger log = LoggerFactory.getLogger(PullThroughCache.class);
    /** Upstream body buffers queued for the storage pool: the bound on memory per fetch. */
    private static final int BODY_PREFETCH = 4;
    /** How long a follower waits at most for a fetch that seems stuck before looking for itself. */
    private static final Duration FOLLOW_LIMIT = Duration.ofMinutes(30);

    private final ManifestService manifests;
    private final RepositoryLinks links;
    private final UploadSessions sessions;
    private final Blocking blocking;
    private final ProxyMetrics metrics;
    private final CacheEvictor evictor;
    private final int manifestLimit;
    /** When each cached tag was last checked against its upstream (nanoTime), by {@code local:tag}. */
    private final Cache<String, Long> validated =
            Caffeine.newBuilder().maximumSize(100_000).build();

    private final Map<String, Mono<Freshness>> manifestFlights = new ConcurrentHashMap<>();
    private final Map<Digest, Sinks.Empty<Void>> blobFlights = new ConcurrentHashMap<>();

    /** Whether what the cache holds was confirmed by the upstream or served while the upstream failed. */
    public enum Freshness {
        FRESH,
        STALE
    }

    PullThroughCache(
            ManifestService manifests,
            RepositoryLinks links,
            UploadSessions sessions,
            Blocking blocking,
            ProxyMetrics metrics,
            CacheEvictor evictor,
            long manifestLimit) {
        this.evictor = evictor;
        this.manifests = manifests;
        this.links = links;
        this.sessions = sessions;
        this.blocking = blocking;
        this.metrics = metrics;
        this.manifestLimit = (int) Math.min(Integer.MAX_VALUE, manifestLimit);
    }

    // ---------------------------------------------------------------- manifests

    /**
     * Makes the manifest that {@code reference} (a tag, or {@code digest}) names available in the target's
     * local repository. Fails with {@link UpstreamException} when it is not cached and cannot be fetched.
     */
    public Mono<Freshness> manifest(ProxyTarget target, String reference, Digest digest) {
        String local = target.localName();
        if (digest != null) {
            return blocking.call(() -> manifests.manifests().exists(local, digest))
                    .flatMap(cached -> {
                        if (cached) {
                            metrics.hit(target.upstream());
                            return Mono.just(Freshness.FRESH);
                        }
                        return shared(
                                local + "@" + digest,
                                () -> fetchManifest(target, digest.toString(), digest, List.of()));
                    });
        }
        String key = local + ":" + reference;
        Long checked = validated.getIfPresent(key);
        if (checked == null
                || System.nanoTime() - checked >= target.upstream().tagTtl().toNanos()) {
            return shared(key, () -> revalidate(target, reference, key));
        }
        // Trusted, unless eviction removed it meanwhile.
        return blocking.call(() -> manifests.tags().resolve(local, reference).isPresent())
                .flatMap(cached -> {
                    if (!cached) {
                        validated.invalidate(key);
                        return shared(key, () -> revalidate(target, reference, key));
                    }
                    metrics.hit(target.upstream());
                    return Mono.just(Freshness.FRESH);
                });
    }

    /** One fetch per key at a time: later callers share the running one's outcome. */
    private Mono<Freshness> shared(String key, Supplier<Mono<Freshness>> fetch) {
        return manifestFlights.computeIfAbsent(
                key,
                k -> Mono.defer(fetch)
                        .doFinally(signal -> manifestFlights.remove(k))
                        .cache());
    }

    private Mono<Freshness> revalidate(ProxyTarget target, String tag, String key) {
        UpstreamClient upstream = target.upstream();
        return blocking.call(() -> manifests.tags().resolve(target.localName(), tag))
                .flatMap(cached -> {
                    if (cached.isEmpty()) {
                        return fetchManifest(target, tag, null, List.of(tag)).doOnSuccess(f -> markValidated(key));
                    }
                    metrics.revalidation(upstream);
                    return upstream.manifest(HttpMethod.HEAD, target.remoteName(), tag)
                            .flatMap(head -> head.discard()
                                    .thenReturn(
                                            Optional.ofNullable(head.headers().getFirst("Docker-Content-Digest"))))
                            .flatMap(current -> {
                                if (current.isPresent()
                                        && current.get().equals(cached.get().toString())) {
                                    metrics.hit(upstream);
                                    markValidated(key);
                                    return Mono.just(Freshness.FRESH);
                                }
                                log.info(
                                        "proxy: {}:{} moved upstream ({} -> {}); fetching",
                                        target.localName(),
                                        tag,
                                        cached.get(),
                                        current.orElse("unknown"));
                                return fetchManifest(target, tag, null, List.of(tag))
                                        .doOnSuccess(f -> markValidated(key));
                            })
                            .onErrorResume(UpstreamException.class, e -> {
                                if (e.kind() != UpstreamException.Kind.UNAVAILABLE
                                        && e.kind() != UpstreamException.Kind.TOO_MANY_REQUESTS) {
                                    return Mono.error(e);
                                }
                                log.warn(
                                        "proxy: upstream {} failed revalidating {}:{} ({}); serving the cached {}"
                                                + " marked stale",
                                        upstream.name(),
                                        target.remoteName(),
                                        tag,
                                        e.getMessage(),
                                        cached.get());
                                return Mono.just(Freshness.STALE);
                            });
                })
                .doOnError(UpstreamException.class, e -> metrics.upstreamError(upstream));
    }

    private void markValidated(String key) {
        validated.put(key, System.nanoTime());
    }

    /** GETs a manifest, checks it (digest, size, syntax) and stores it like a push, tagged with {@code tags}. */
    private Mono<Freshness> fetchManifest(ProxyTarget target, String reference, Digest expected, List<String> tags) {
        UpstreamClient upstream = target.upstream();
        metrics.miss(upstream);
        return upstream.manifest(HttpMethod.GET, target.remoteName(), reference)
                .flatMap(response -> UpstreamClient.bytes(response.body(), manifestLimit)
                        .onErrorMap(
                                DataBufferLimitException.class,
                                e -> UpstreamException.unavailable(
                                        upstream.name(),
                                        "manifest " + reference + " exceeds " + manifestLimit + " bytes",
                                        e))
                        .map(body -> verifiedManifest(upstream, reference, expected, response.headers(), body)))
                .flatMap(m -> {
                    metrics.fetched(upstream, m.body().length);
                    return blocking.call(
                                    () -> manifests.push(target.localName(), m.body(), m.parsed(), m.digest(), tags))
                            // Used now, before the eviction pass that adding it may start can rank it.
                            .doOnSuccess(pushed ->
                                    evictor.used(target.localName(), m.digest().toString()));
                })
                .doOnSuccess(pushed -> evictor.added(upstream))
                .thenReturn(Freshness.FRESH);
    }

    private record FetchedManifest(byte[] body, ParsedManifest parsed, Digest digest) {}

    private static FetchedManifest verifiedManifest(
            UpstreamClient upstream, String reference, Digest expected, HttpHeaders headers, byte[] body) {
        String announced = headers.getFirst("Docker-Content-Digest");
        Digest digest = Digest.compute(expected != null ? expected.algorithm() : DigestAlgorithm.SHA256, body);
        if ((expected != null && !expected.equals(digest))
                || (expected == null
                        && announced != null
                        && announced.startsWith("sha256:")
                        && !announced.equals(digest.toString()))) {
            log.warn(
                    "proxy: upstream {} served manifest {} whose bytes hash to {} (announced {}); not cached",
                    upstream.name(),
                    reference,
                    digest,
                    announced);
            throw UpstreamException.unavailable(
                    upstream.name(), "manifest " + reference + " did not match its digest", null);
        }
        try {
            String type = headers.getContentType() == null
                    ? null
                    : headers.getContentType().toString();
            return new FetchedManifest(body, ManifestParser.parse(body, type), digest);
        } catch (ManifestInvalidException e) {
            throw UpstreamException.unavailable(
                    upstream.name(), "manifest " + reference + " is invalid: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- blobs

    /**
     * Whether the blob can be read from the target's local repository now: linked already, or stored (fetched
     * through another repository, or pushed) and linked here on the way, protected from garbage collection.
     */
    public Mono<Boolean> blobCached(ProxyTarget target, Digest digest) {
        return blocking.call(() -> links.isLinkedCached(target.localName(), digest)
                || sessions.mount(target.localName(), digest).isPresent());
    }

    /** A blob fetch this request must take part in: run it ({@link Lead}) or wait for another's ({@link Follow}). */
    public sealed interface Flight permits Lead, Follow {}

    /** This request fetches; it must end the flight through {@link #fetch}, or {@link #abandon} it. */
    public record Lead(Digest digest, Sinks.Empty<Void> done) implements Flight {}

    /** Another request is fetching; {@link #await} completes when it has finished (either way). */
    public record Follow(Sinks.Empty<Void> done) implements Flight {}

    /** Joins the fetch of {@code digest}, starting one when none runs in this process. */
    public Flight join(Digest digest) {
        Sinks.Empty<Void> mine = Sinks.empty();
        Sinks.Empty<Void> running = blobFlights.putIfAbsent(digest, mine);
        return running == null ? new Lead(digest, mine) : new Follow(running);
    }

    /** Completes when the followed fetch ended, successfully or not (the follower then looks at storage). */
    public Mono<Void> await(Follow follow) {
        return follow.done().asMono().timeout(FOLLOW_LIMIT).onErrorResume(e -> Mono.empty());
    }

    /** Ends a lead without fetching (the blob turned out to be stored already). */
    public void abandon(Lead lead) {
        land(lead, null);
    }

    private void land(Lead lead, Throwable error) {
        blobFlights.remove(lead.digest(), lead.done());
        if (error == null) {
            lead.done().tryEmitEmpty();
        } else {
            lead.done().tryEmitError(error);
        }
    }

    /** The upstream's answer to a blob {@code HEAD}: its size, when announced. */
    public Mono<Long> blobSize(ProxyTarget target, Digest digest) {
        return target.upstream()
                .blob(HttpMethod.HEAD, target.remoteName(), digest.toString())
                .flatMap(r -> r.discard().thenReturn(r.headers().getContentLength()))
                .doOnError(UpstreamException.class, e -> metrics.upstreamError(target.upstream()));
    }

    /** A started blob fetch: the upstream's length ({@code -1} unknown) and the verified, cached body. */
    public record Fetch(long length, Flux<DataBuffer> body) {}

    /**
     * Fetches the blob for the lead. The body must be subscribed exactly once: as it flows it is written to
     * storage, and it completes only after the digest verified and the blob was committed and linked. Its end,
     * whichever way, ends the flight.
     */
    public Mono<Fetch> fetch(ProxyTarget target, Lead lead) {
        UpstreamClient upstream = target.upstream();
        Digest digest = lead.digest();
        metrics.miss(upstream);
        return upstream.blob(HttpMethod.GET, target.remoteName(), digest.toString())
                .map(response ->
                        new Fetch(response.headers().getContentLength(), tee(target, digest, response.body(), lead)))
                .doOnError(e -> {
                    metrics.upstreamError(upstream);
                    land(lead, e);
                })
                .doOnCancel(() -> land(lead, new IllegalStateException("fetch cancelled")));
    }

    private Flux<DataBuffer> tee(ProxyTarget target, Digest digest, Flux<DataBuffer> upstreamBody, Lead lead) {
        UpstreamClient upstream = target.upstream();
        return Flux.usingWhen(
                        blocking.call(() -> sessions.open(sessions.create(target.localName(), digest.algorithm()))),
                        upload -> verifiedStream(upload, digest, upstreamBody, upstream),
                        upload -> Mono.fromRunnable(() -> {
                            land(lead, null);
                            evictor.added(upstream);
                        }),
                        (upload, error) ->
                                discard(upload, digest, upstream, error).doFinally(s -> land(lead, error)),
                        upload -> discard(upload, digest, upstream, null)
                                .doFinally(s -> land(lead, new IllegalStateException("fetcher cancelled"))))
                .doOnError(e -> land(lead, e));
    }

    /**
     * Writes each buffer to the upload and passes on the one before it; the last is released only once the
     * digest of everything written verified (by the running digest, or else by the commit's re-read).
     */
    private Flux<DataBuffer> verifiedStream(
            UploadWriter upload, Digest digest, Flux<DataBuffer> body, UpstreamClient upstream) {
        AtomicReference<DataBuffer> held = new AtomicReference<>();
        return body.publishOn(blocking.scheduler(), BODY_PREFETCH)
                .<DataBuffer>handle((buffer, sink) -> {
                    try {
                        upload.write(buffer);
                    } catch (IOException | RuntimeException e) {
                        DataBufferUtils.release(buffer);
                        sink.error(e);
                        return;
                    }
                    metrics.fetched(upstream, buffer.readableByteCount());
                    DataBuffer previous = held.getAndSet(buffer);
                    if (previous != null) {
                        sink.next(previous);
                    }
                })
                // The running digest decides whether the last buffer goes out; the commit (which checks again,
                // and syncs the bytes to storage) follows without holding the client up.
                .concatWith(Mono.fromSupplier(() -> upload.currentDigest()
                        .filter(digest::equals)
                        .map(verified -> held.getAndSet(null))
                        .orElse(null)))
                .concatWith(Mono.defer(() -> blocking.call(() -> sessions.complete(upload, digest)))
                        .onErrorMap(
                                UploadException.class,
                                e -> e.code() == ErrorCode.DIGEST_INVALID ? mismatch(upstream, digest, e) : e)
                        .then(Mono.fromSupplier(() -> held.getAndSet(null))))
                .doFinally(signal -> {
                    DataBuffer left = held.getAndSet(null);
                    if (left != null) {
                        DataBufferUtils.release(left);
                    }
                })
                .doOnDiscard(DataBuffer.class, DataBufferUtils::release);
    }

    /**
     * The upstream sent other bytes than the digest names. Before the response started this is the client's
     * error; once it streams, the connection is cut instead (the last buffer was never sent).
     */
    private RegistryException mismatch(UpstreamClient upstream, Digest digest, UploadException e) {
        metrics.upstreamError(upstream);
        log.warn(
                "proxy: upstream {} served bytes for {} that do not match it ({}); client cut off, nothing cached",
                upstream.name(),
                digest,
                e.detail());
        return new RegistryException(
                ErrorCode.UNAVAILABLE,
                "upstream " + upstream.name() + " served content that does not match its digest",
                digest.toString());
    }

    private Mono<Void> discard(UploadWriter upload, Digest digest, UpstreamClient upstream, Throwable error) {
        if (error != null && !(error instanceof RegistryException)) {
            log.info(
                    "proxy: fetch of {} from {} failed: {}; nothing cached", digest, upstream.name(), error.toString());
        }
        return blocking.run(() -> sessions.cancel(upload)).onErrorResume(e -> {
            log.warn("proxy: could not discard the upload of {}: {}", digest, e.toString());
            return Mono.empty();
        });
    }
}
