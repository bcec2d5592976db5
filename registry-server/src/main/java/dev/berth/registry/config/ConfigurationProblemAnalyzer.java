package dev.berth.registry.config;

import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;

/**
 * Prints a {@link ConfigurationProblem} as the start-up failure: the property, what is wrong with it and where
 * it was set (a file and line, the command line or the environment), then what to do. Registered in
 * {@code META-INF/spring.factories}.
 */
class ConfigurationProblemAnalyzer extends AbstractFailureAnalyzer<ConfigurationProblem> {
    private final Environment environment;

    /** @param environment the failed application's environment; null when it failed before having one */
    ConfigurationProblemAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, ConfigurationProblem cause) {
        String origin = origin(environment, cause.property());
        String description = "Invalid setting " + cause.property() + ": " + cause.getMessage()
                + (origin == null ? "" : " (" + cause.property() + " is set in " + origin + ".)");
        return new FailureAnalysis(description, cause.action(), cause);
    }

    /** Where {@code property} got its value, or null when it is not set (or only defaulted). */
    static String origin(Environment environment, String property) {
        if (environment == null || !ConfigurationPropertyName.isValid(property)) {
            return null;
        }
        ConfigurationPropertyName name = ConfigurationPropertyName.of(property);
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            ConfigurationProperty found = source.getConfigurationProperty(name);
            if (found != null) {
                if (found.getOrigin() != null) {
                    return found.getOrigin().toString();
                }
                return source.getUnderlyingSource() instanceof PropertySource<?> named
                        ? "property source '" + named.getName() + "'"
                        : null;
            }
        }
        return null;
    }
}
