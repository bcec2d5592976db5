package dev.berth.registry.config;

import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.bind.DataObjectPropertyName;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.validation.FieldError;
import org.springframework.validation.ObjectError;

/**
 * Prints the constraint violations of {@code @Validated} properties ({@code berth.*}) one line each: the
 * property in the form it is written in ({@code berth.gc.batch-size}, where Spring Boot's own analyzer shows the
 * Java field path {@code berth.gc.batchSize}), the value, what is allowed, and where it was set. Ordered before
 * Spring Boot's analyzer of the same failure.
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
class InvalidPropertyAnalyzer extends AbstractFailureAnalyzer<BindValidationException> {
    private final Environment environment;

    InvalidPropertyAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, BindValidationException cause) {
        String prefix = cause.getValidationErrors().getName().toString();
        List<String> lines = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (ObjectError error : cause.getValidationErrors().getAllErrors()) {
            if (error instanceof FieldError field) {
                String name = prefix + "." + DataObjectPropertyName.toDashedForm(field.getField());
                String origin = ConfigurationProblemAnalyzer.origin(environment, name);
                lines.add("Invalid setting " + name + " = '" + field.getRejectedValue() + "': "
                        + field.getDefaultMessage() + (origin == null ? "." : " (set in " + origin + ")."));
                names.add(name);
            } else {
                lines.add("Invalid settings under " + prefix + ": " + error.getDefaultMessage() + ".");
                names.add(prefix + ".*");
            }
        }
        return new FailureAnalysis(
                String.join(System.lineSeparator(), lines),
                "Change " + String.join(", ", names) + " to an allowed value (see README's configuration reference).",
                cause);
    }
}
