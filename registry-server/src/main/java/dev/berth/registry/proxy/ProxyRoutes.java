package dev.berth.registry.proxy;

import dev.berth.oci.ErrorCode;
import dev.berth.registry.http.RegistryException;
import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.http.RegistryRouter.RouteHandler;
import dev.berth.registry.http.RouteDecorator;
import dev.berth.registry.http.RouteKind;
import dev.berth.registry.proxy.Upstreams.ProxyTarget;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * Where the pull-through cache meets the route table: a repository under an upstream's prefix is mirrored
 * ({@link MirrorNameFilter} has already turned the other conventions into this one); its content is made
 * available through {@link PullThroughCache}, and then the ordinary handler serves the local copy. Only an uncached blob is
 * served from here, streamed as it arrives. Writes to mirrored repositories are refused.
 */
public final class ProxyRoutes implements RouteDecorator {
    private static final Logger log = LoggerFactory.getLogger(ProxyRoutes.class);
    /** Set on responses whose manifest was served from the cache while the upstream could not confirm it. */
    public static final String STALE_HEADER = "Berth-Proxy-Stale";

    private final Upstreams upstreams;
    private final PullThroughCache cache;
    private final ProxyMetrics metrics;
    private final CacheEvictor evictor;

    ProxyRoutes(Upstreams upstreams, PullThroughCache cache, ProxyMetrics metrics, CacheEvictor evictor) {
        this.upstreams = upstreams;
        this.cache = cache;
        this.metrics = metrics;
        this.evictor = evictor;
    }

    @Override
    public RouteHandler decorate(RouteKind kind, HttpMethod method, RouteHandler local) {
        if (kind == RouteKind.BASE || kind == RouteKind.CATALOG) {
            return local;
        }
        boolean read = HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method);
        return (request, route) -> {
            // The implicit conventions (ns=, default upstream) arrive here rewritten by MirrorNameFilter.
            Optional<ProxyTarget> target = upstreams.byPrefix(route.name());
            if (target.isEmpty()) {
                return local.handle(request, route);
            }
            return read ? serve(kind, local, request, target.get(), route) : Mono.error(readOnly(target.get()));
        };
    }

    private static RegistryException readOnly(ProxyTarget target) {
        return new RegistryException(
                ErrorCode.UNSUPPORTED,
                "repository " + target.localName() + " is a read-only cache of upstream "
                        + target.upstream().name(),
                Map.of("name", target.localName(), "upstream", target.upstream().name()));
    }

    private Mono<ServerResponse> serve(
            RouteKind kind, RouteHandler local, ServerRequest request, ProxyTarget target, RegistryRoute route) {
        RegistryRoute cached = new RegistryRoute(
                route.kind(), target.localName(), route.reference(), route.digest(), route.uploadId());
        return switch (kind) {
            case MANIFEST ->
                cache.manifest(target, route.reference(), route.digest())
                        .onErrorMap(
                                UpstreamException.class,
                                e -> e.toRegistry(
                                        ErrorCode.MANIFEST_UNKNOWN,
                                        Map.of("name", route.name(), "reference", route.reference())))
                        .flatMap(freshness -> {
                            if (freshness == PullThroughCache.Freshness.STALE) {
                                request.exchange().getResponse().getHeaders().set(STALE_HEADER, "true");
                            }
                            return local.handle(request, cached);
                        })
                        .doOnNext(response -> {
                            String served = response.headers().getFirst("Docker-Content-Digest");
                            if (served != null) {
                                evictor.used(target.localName(), served);
                            }
                        });
            case BLOB -> blob(local, request, target, cached, 0);
            // Tags and referrers list what the cache holds.
            default -> local.handle(request, cached);
        };
    }

    private Mono<ServerResponse> blob(
            RouteHandler local, ServerRequest request, ProxyTarget target, RegistryRoute cached, int attempt) {
        return cache.blobCached(target, cached.digest()).flatMap(stored -> {
            if (stored) {
                return fromCache(local, request, target, cached);
            }
            if (HttpMethod.HEAD.equals(request.method())) {
                return cache.blobSize(target, cached.digest())
                        .onErrorMap(
                                UpstreamException.class,
                                e -> e.toRegistry(
                                        ErrorCode.BLOB_UNKNOWN, cached.digest().toString()))
                        .flatMap(size -> ServerResponse.ok()
                                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                                .headers(h -> {
                                    if (size >= 0) {
                                        h.setContentLength(size);
                                    }
                                    h.set(
                                            "Docker-Content-Digest",
                                            cached.digest().toString());
                                })
                                .build());
            }
            PullThroughCache.Flight flight = cache.join(cached.digest());
            if (flight instanceof PullThroughCache.Follow follow) {
                // Another request is fetching it: wait, then read what it stored (or fetch anew if it failed).
                return cache.await(follow)
                        .then(Mono.defer(() -> attempt < 2
                                ? blob(local, request, target, cached, attempt + 1)
                                : Mono.error(new RegistryException(
                                        ErrorCode.UNAVAILABLE,
                                        "fetching the blob from upstream "
                                                + target.upstream().name() + " failed; retry",
                                        cached.digest().toString()))));
            }
            return lead(local, request, target, cached, (PullThroughCache.Lead) flight);
        });
    }

    private Mono<ServerResponse> lead(
            RouteHandler local,
            ServerRequest request,
            ProxyTarget target,
            RegistryRoute cached,
            PullThroughCache.Lead lead) {
        // The blob may have landed between the first look and taking the lead.
        return cache.blobCached(target, cached.digest())
                .flatMap(stored -> {
                    if (stored) {
                        cache.abandon(lead);
                        return fromCache(local, request, target, cached);
                    }
                    Mono<PullThroughCache.Fetch> fetch = cache.fetch(target, lead)
                            .onErrorMap(
                                    UpstreamException.class,
                                    e -> e.toRegistry(
                                            ErrorCode.BLOB_UNKNOWN,
                                            cached.digest().toString()));
                    if (request.headers().firstHeader(HttpHeaders.RANGE) != null) {
                        // A range is served from storage once the whole blob is in.
                        return fetch.flatMap(f -> f.body()
                                .doOnNext(DataBufferUtils::release)
                                .then(Mono.defer(() -> local.handle(request, cached))));
                    }
                    return fetch.flatMap(f -> ServerResponse.status(HttpStatus.OK)
                            .contentType(MediaType.APPLICATION_OCTET_STREAM)
                            .headers(h -> {
                                if (f.length() >= 0) {
                                    h.setContentLength(f.length());
                                }
                                h.set("Docker-Content-Digest", cached.digest().toString());
                            })
                            .body(BodyInserters.fromDataBuffers(f.body())));
                })
                .doOnError(e -> {
                    cache.abandon(lead);
                    log.debug(
                            "proxy: blob {} from {}: {}",
                            cached.digest(),
                            target.upstream().name(),
                            e.toString());
                });
    }

    private Mono<ServerResponse> fromCache(
            RouteHandler local, ServerRequest request, ProxyTarget target, RegistryRoute cached) {
        metrics.hit(target.upstream());
        return local.handle(request, cached).doOnNext(response -> {
            long length = response.headers().getContentLength();
            if (HttpMethod.GET.equals(request.method()) && length > 0) {
                metrics.servedFromCache(target.upstream(), length);
            }
        });
    }
}
