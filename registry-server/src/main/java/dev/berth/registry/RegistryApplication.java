package dev.berth.registry;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Berth's registry server: the OCI Distribution API over a pluggable storage driver. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class RegistryApplication {
    public static void main(String[] args) {
        SpringApplication.run(RegistryApplication.class, args);
    }
}
