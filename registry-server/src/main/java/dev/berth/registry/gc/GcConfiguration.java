package dev.berth.registry.gc;

import dev.berth.registry.cache.RegistryCaches;
import dev.berth.registry.config.BerthProperties;
import dev.berth.storage.StorageDriver;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The collector, the service that runs it (scheduled unless in the {@code gc} command) and the command. */
@Configuration(proxyBeanMethods = false)
public class GcConfiguration {

    @Bean
    GarbageCollector garbageCollector(StorageDriver driver, RegistryCaches caches) {
        return new GarbageCollector(driver, GcHooks.NONE, caches);
    }

    @Bean(destroyMethod = "close")
    GcService gcService(
            GarbageCollector collector,
            StorageDriver driver,
            BerthProperties properties,
            org.springframework.core.env.Environment environment) {
        GcService service = new GcService(collector, driver, properties);
        if (!environment.getProperty(GcCommand.PROPERTY, Boolean.class, false)) {
            service.startSchedule();
        }
        return service;
    }

    @Bean
    @ConditionalOnProperty(name = GcCommand.PROPERTY, havingValue = "true")
    GcCommand gcCommand(GcService service, ConfigurableApplicationContext context) {
        return new GcCommand(service, context);
    }
}
