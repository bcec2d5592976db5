package dev.berth.registry.proxy;

import dev.berth.registry.config.BerthProperties;
import dev.berth.registry.gc.GcService;
import dev.berth.registry.manifest.Catalog;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.storage.BlobStore;
import dev.berth.registry.storage.Blocking;
import dev.berth.registry.storage.RepositoryLinks;
import dev.berth.registry.upload.UploadSessions;
import dev.berth.storage.StorageDriver;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The pull-through cache's beans, present only with {@code berth.proxy.enabled=true}. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "berth.proxy.enabled", havingValue = "true")
public class ProxyConfiguration {

    @Bean
    Upstreams upstreams(ProxyProperties properties) {
        Upstreams.validate(properties.getUpstreams());
        return new Upstreams(properties.getUpstreams().stream()
                .map(u -> new UpstreamClient(u, Clock.systemUTC()))
                .toList());
    }

    @Bean
    ProxyMetrics proxyMetrics(MeterRegistry meters) {
        return new ProxyMetrics(meters);
    }

    @Bean
    CacheEvictor cacheEvictor(
            StorageDriver driver, ManifestService manifests, BlobStore blobs, Blocking blocking, GcService gc) {
        return new CacheEvictor(driver, manifests, blobs, blocking, gc);
    }

    @Bean
    PullThroughCache pullThroughCache(
            ManifestService manifests,
            RepositoryLinks links,
            UploadSessions sessions,
            Blocking blocking,
            ProxyMetrics metrics,
            CacheEvictor evictor,
            BerthProperties properties) {
        return new PullThroughCache(
                manifests,
                links,
                sessions,
                blocking,
                metrics,
                evictor,
                properties.getManifests().getMaxSize().toBytes());
    }

    @Bean
    ProxyRoutes proxyRoutes(Upstreams upstreams, PullThroughCache cache, ProxyMetrics metrics, CacheEvictor evictor) {
        return new ProxyRoutes(upstreams, cache, metrics, evictor);
    }

    @Bean
    MirrorNameFilter mirrorNameFilter(Upstreams upstreams, Catalog catalog, Blocking blocking) {
        return new MirrorNameFilter(upstreams, catalog, blocking);
    }
}
