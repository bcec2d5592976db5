package dev.berth.registry.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * A setting Berth cannot start with. It names the property, says what is wrong (naming the file concerned, if
 * any) and what to do; {@link ConfigurationProblemAnalyzer} prints exactly that, and where the property was set,
 * as the whole start-up failure instead of a stack trace.
 */
public class ConfigurationProblem extends IllegalStateException {
    private final String property;
    private final String action;

    /**
     * @param property the property to fix, e.g. {@code berth.tls.private-key}
     * @param problem  what is wrong, as a sentence naming the file concerned
     * @param action   what the operator should do
     */
    public ConfigurationProblem(String property, String problem, String action) {
        this(property, problem, action, null);
    }

    public ConfigurationProblem(String property, String problem, String action, Throwable cause) {
        super(problem, cause);
        this.property = property;
        this.action = action;
    }

    /** The property to fix. */
    public String property() {
        return property;
    }

    /** What to do about it. */
    public String action() {
        return action;
    }

    /** Runs {@code step}; a failure becomes a problem with {@code property}, whose message it keeps. */
    public static <T> T check(String property, String action, Supplier<T> step) {
        try {
            return step.get();
        } catch (ConfigurationProblem e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ConfigurationProblem(property, e.getMessage() == null ? e.toString() : e.getMessage(), action, e);
        }
    }

    /**
     * {@code file}, which {@code property} names, when it is a readable regular file; otherwise a problem saying
     * why not. {@code what} describes the expected content, e.g. "a PEM private key".
     */
    public static Path readableFile(String property, Path file, String what) {
        if (file == null) {
            throw new ConfigurationProblem(
                    property, property + " is not set.", "Set " + property + " to " + what + ".");
        }
        String why = !Files.exists(file)
                ? "does not exist"
                : Files.isDirectory(file)
                        ? "is a directory"
                        : !Files.isReadable(file) ? "is not readable by the user running Berth" : null;
        if (why != null) {
            throw new ConfigurationProblem(
                    property,
                    "The file " + file.toAbsolutePath() + " " + why + ".",
                    "Point " + property + " at " + what + " that the user running Berth can read.");
        }
        return file;
    }
}
