package dev.berth.registry.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Per-upstream counters of the pull-through cache ({@code berth_proxy_*_total{upstream}}). The only tag is the
 * upstream's configured name, so the number of series is bounded by the configuration.
 */
final class ProxyMetrics {
    private final MeterRegistry registry;

    ProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Served from the cache without a fetch (a tag revalidated unchanged counts as a hit). */
    void hit(UpstreamClient upstream) {
        counter("berth.proxy.hits", "Requests served from the cache", upstream).increment();
    }

    /** Needed a fetch from the upstream. */
    void miss(UpstreamClient upstream) {
        counter("berth.proxy.misses", "Requests that fetched from the upstream", upstream)
                .increment();
    }

    void fetched(UpstreamClient upstream, long bytes) {
        counter("berth.proxy.fetched.bytes", "Bytes fetched from the upstream", upstream)
                .increment(bytes);
    }

    void servedFromCache(UpstreamClient upstream, long bytes) {
        counter("berth.proxy.cache.served.bytes", "Body bytes served from the cache", upstream)
                .increment(bytes);
    }

    /** The upstream failed (down, 5xx, 429, refused, or content that did not verify). */
    void upstreamError(UpstreamClient upstream) {
        counter("berth.proxy.upstream.errors", "Upstream requests that failed", upstream)
                .increment();
    }

    /** A tag's resolution was checked against the upstream. */
    void revalidation(UpstreamClient upstream) {
        counter("berth.proxy.revalidations", "Tag revalidations against the upstream", upstream)
                .increment();
    }

    private Counter counter(String name, String description, UpstreamClient upstream) {
        // Micrometer returns the registered meter on later calls; lookups are a map access.
        return Counter.builder(name)
                .description(description)
                .tag("upstream", upstream.name())
                .register(registry);
    }
}
