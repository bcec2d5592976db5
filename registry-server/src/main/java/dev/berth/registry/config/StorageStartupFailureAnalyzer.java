package dev.berth.registry.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;

/** Prints a {@link StorageStartupException} as the start-up failure. Registered in {@code META-INF/spring.factories}. */
class StorageStartupFailureAnalyzer extends AbstractFailureAnalyzer<StorageStartupException> {
    private final Environment environment;

    StorageStartupFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, StorageStartupException cause) {
        String origin = ConfigurationProblemAnalyzer.origin(environment, cause.property());
        String description = "Storage is not usable: " + cause.getMessage()
                + (origin == null ? "" : " (" + cause.property() + " is set in " + origin + ".)");
        return new FailureAnalysis(description, cause.action(), cause);
    }
}
