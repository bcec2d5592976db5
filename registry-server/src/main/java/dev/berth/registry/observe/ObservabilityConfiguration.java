package dev.berth.registry.observe;

import dev.berth.registry.cache.RegistryCaches;
import dev.berth.registry.config.BerthProperties;
import dev.berth.registry.gc.GcService;
import dev.berth.registry.http.RegistryErrorHandler;
import dev.berth.registry.maintenance.ReadOnlyMode;
import dev.berth.registry.storage.Blocking;
import dev.berth.registry.upload.UploadSessions;
import dev.berth.storage.CheckedStorageDriver;
import dev.berth.storage.StorageDriver;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Metrics, the access log and the storage health check. Metrics go to whatever Micrometer registry Spring Boot
 * configured (Prometheus: {@code /actuator/prometheus}); every Berth metric is named {@code berth.*}.
 */
@Configuration(proxyBeanMethods = false)
public class ObservabilityConfiguration {

    @Bean
    RequestMetrics requestMetrics(MeterRegistry registry) {
        return new RequestMetrics(registry);
    }

    @Bean
    @ConditionalOnProperty(prefix = "berth.access-log", name = "enabled", matchIfMissing = true)
    AccessLog accessLog() {
        return new AccessLog();
    }

    @Bean
    ObservingWebFilter observingWebFilter(
            ObjectProvider<ExchangeListener> listeners, RegistryErrorHandler errors, Environment environment) {
        List<ExchangeListener> all = new ArrayList<>(listeners.orderedStream().toList());
        return new ObservingWebFilter(
                all, errors, environment.getProperty("management.endpoints.web.base-path", "/actuator"));
    }

    /** Polls {@code StorageStats} when the driver is the usual {@link CheckedStorageDriver}. */
    @Bean
    MeterBinder storageMetrics(StorageDriver driver) {
        return registry -> {
            if (driver instanceof CheckedStorageDriver checked) {
                new StorageMetrics(checked.stats(), driver.name()).bindTo(registry);
            }
        };
    }

    @Bean
    GcMetrics gcMetrics(MeterRegistry registry, GcService gc) {
        GcMetrics metrics = new GcMetrics(registry);
        gc.addListener(metrics);
        return metrics;
    }

    @Bean
    UploadMetrics uploadMetrics(MeterRegistry registry, UploadSessions sessions) {
        UploadMetrics metrics = new UploadMetrics(registry);
        sessions.addListener(metrics);
        return metrics;
    }

    /** {@code berth_read_only}: 1 while this process refuses writes. */
    @Bean
    MeterBinder readOnlyMetric(ReadOnlyMode mode) {
        return registry -> Gauge.builder("berth.read.only", mode, m -> m.isOn() ? 1 : 0)
                .description("1 while this process is in read-only mode")
                .register(registry);
    }

    /**
     * The registry's caches ({@code dev.berth.registry.cache}), by name: {@code cache_gets_total{cache="tags",
     * result="hit|miss"}}, {@code cache_evictions_total}, {@code cache_size}, ...; the hit ratio is
     * {@code hit / (hit + miss)}. Nothing when caching is disabled.
     */
    @Bean
    MeterBinder registryCacheMetrics(ObjectProvider<RegistryCaches> caches) {
        return registry -> caches.ifAvailable(c -> {
            if (c.enabled()) {
                c.caches().forEach((name, cache) -> CaffeineCacheMetrics.monitor(registry, cache, name));
            }
        });
    }

    /** Registered as {@code storage}; the readiness group includes it (application.properties). */
    @Bean
    StorageHealthIndicator storageHealthIndicator(StorageDriver driver, Blocking blocking, BerthProperties properties) {
        return new StorageHealthIndicator(
                driver, blocking, properties.getHealth().getStorageTimeout());
    }
}
