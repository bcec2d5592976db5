package dev.berth.registry.notify;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The {@link RegistryEvents} bean: a {@link Notifier} (closed with the context, which stops its delivery
 * threads) when endpoints are configured, else {@link RegistryEvents#NONE}.
 */
@Configuration(proxyBeanMethods = false)
public class NotificationConfiguration {

    @Bean
    RegistryEvents registryEvents(NotificationProperties properties, Environment environment) {
        if (properties.getEndpoints().isEmpty()) {
            return RegistryEvents.NONE;
        }
        String source = properties.getSourceAddr();
        if (source == null || source.isBlank()) {
            source = hostName() + ":" + environment.getProperty("server.port", "5000");
        }
        return new Notifier(properties.getEndpoints(), source);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
