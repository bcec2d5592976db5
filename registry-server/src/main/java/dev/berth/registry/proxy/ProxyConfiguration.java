package dev.berth.registry.proxy;

import dev.berth.registry.config.BerthProperties;
import dev.berth.registry.manifest.Catalog;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.storage.Blocking;
import dev.berth.registry.storage.RepositoryLinks;
import dev.berth.registry.upload.UploadSessions;
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
                .map(u -> new UpstreamClient(u, Clock.systemUTC())).toList());
    }

    @Bean
    PullThroughCache pullThroughCache(ManifestService manifests, RepositoryLinks links, UploadSessions sessions,
                                      Blocking blocking, MeterRegistry meters, BerthProperties properties) {
        return new PullThroughCache(manifests, links, sessions, blocking, new ProxyMetrics(meters),
                properties.getManifests().getMaxSize().toBytes());
    }

    @Bean
    ProxyRoutes proxyRoutes(Upstreams upstreams, PullThroughCache cache, MeterRegistry meters) {
        return new ProxyRoutes(upstreams, cache, new ProxyMetrics(meters));
    }

    @Bean
    MirrorNameFilter mirrorNameFilter(Upstreams upstreams, Catalog catalog, Blocking blocking) {
        return new MirrorNameFilter(upstreams, catalog, blocking);
    }
}
