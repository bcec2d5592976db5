package dev.berth.registry.maintenance;

import dev.berth.registry.config.BerthProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Read-only mode ({@code berth.read-only}, {@code /admin/read-only}) and the filter that enforces it. */
@Configuration(proxyBeanMethods = false)
public class MaintenanceConfiguration {

    @Bean
    ReadOnlyMode readOnlyMode(BerthProperties properties) {
        return new ReadOnlyMode(properties.isReadOnly());
    }

    @Bean
    ReadOnlyWebFilter readOnlyWebFilter(ReadOnlyMode mode) {
        return new ReadOnlyWebFilter(mode);
    }
}
