package dev.berth.registry.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.util.unit.DataSize;

/**
 * A property whose text is not of its type ({@code berth.limits.idle-timeout=soon}): names it, its value, where
 * it was set and what the type accepts, where Spring Boot's own analyzer shows the Java type with all its
 * annotations. Constraint violations are {@link InvalidPropertyAnalyzer}'s.
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
class UnconvertiblePropertyAnalyzer extends AbstractFailureAnalyzer<BindException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, BindException cause) {
        if (cause.getCause() instanceof BindValidationException || cause.getProperty() == null) {
            return null;
        }
        String name = cause.getName().toString();
        Class<?> type = cause.getTarget().getType().resolve();
        Throwable reason = cause;
        while (reason.getCause() != null) {
            reason = reason.getCause();
        }
        Object value = cause.getProperty().getValue();
        String why = type != null && type.isEnum() ? "not one of the allowed values" : reason.getMessage();
        String description = "Invalid setting " + name + " = '" + value + "': " + why
                + (cause.getProperty().getOrigin() == null
                        ? "."
                        : " (set in " + cause.getProperty().getOrigin() + ").");
        return new FailureAnalysis(description, "Set " + name + " to " + accepted(type) + ".", cause);
    }

    private static String accepted(Class<?> type) {
        if (type == null) {
            return "a valid value";
        }
        if (type == Duration.class) {
            return "a duration such as 500ms, 10s, 5m, 2h or 7d";
        }
        if (type == DataSize.class) {
            return "a size such as 512KB, 10MB or 64GB";
        }
        if (type.isEnum()) {
            return "one of "
                    + Arrays.stream(type.getEnumConstants())
                            .map(c -> ((Enum<?>) c).name().toLowerCase(Locale.ROOT))
                            .collect(Collectors.joining(", "));
        }
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "a whole number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        return "a valid " + type.getSimpleName();
    }
}
