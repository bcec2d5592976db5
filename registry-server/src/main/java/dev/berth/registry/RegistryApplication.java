package dev.berth.registry;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Berth's registry server: the OCI Distribution API over a pluggable storage driver. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class RegistryApplication {
    public static void main(String[] args) {
        SpringApplication application = new SpringApplication(RegistryApplication.class);
        if (TrainingRun.requested(args)) {
            application.addListeners(new TrainingRun());
        }
        // "gc [--dry-run]" runs one garbage collection instead of serving (see GcCommand).
        application.run(dev.berth.registry.gc.GcCommand.arguments(args));
    }
}
