package dev.berth.registry.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.web.server.PortInUseException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;

/**
 * Names the property behind a port that is already taken ({@code server.port} or {@code management.server.port})
 * and where it was set. Ordered before Spring Boot's own analyzer of the same failure, which names neither.
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
class PortInUseAnalyzer extends AbstractFailureAnalyzer<PortInUseException> {
    private final Environment environment;

    PortInUseAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PortInUseException cause) {
        int port = cause.getPort();
        String property =
                environment != null && Integer.toString(port).equals(environment.getProperty("management.server.port"))
                        ? "management.server.port"
                        : "server.port";
        String origin = ConfigurationProblemAnalyzer.origin(environment, property);
        String description = "Port " + port + " (" + property + ") is already in use by another process"
                + (origin == null ? " (the default port)." : "; " + property + " is set in " + origin + ".");
        String action = "Stop the process listening on port " + port + " (ss -ltnp 'sport = :" + port + "' shows it), "
                + "or set " + property + " to a free port.";
        return new FailureAnalysis(description, action, cause);
    }
}
