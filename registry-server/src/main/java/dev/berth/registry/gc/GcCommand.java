package dev.berth.registry.gc;

import dev.berth.oci.OciJson;
import java.util.Arrays;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code java -jar berth-registry.jar gc [--dry-run]}: runs one collection with the server's configuration,
 * prints the report as JSON on standard output and exits (status 0, or 1 on failure); it runs in read-only mode
 * too. No HTTP server is started, so this can run next to a serving registry on the
 * same host.
 */
public class GcCommand implements ApplicationRunner {
    /** The first argument that selects this command. */
    public static final String NAME = "gc";
    /** Set by {@link #arguments} to enable this runner. */
    public static final String PROPERTY = "berth.gc.command";

    private final GcService service;
    private final ConfigurableApplicationContext context;

    public GcCommand(GcService service, ConfigurableApplicationContext context) {
        this.service = service;
        this.context = context;
    }

    /**
     * The arguments to start Spring with: unchanged, unless the first one is {@code gc}, which then becomes
     * command-line properties that make a non-web context (the security configuration is web-only) and switch
     * this runner on.
     */
    public static String[] arguments(String[] args) {
        if (args.length == 0 || !args[0].equals(NAME)) {
            return args;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length + 2);
        rest[rest.length - 2] = "--spring.main.web-application-type=none";
        rest[rest.length - 1] = "--" + PROPERTY + "=true";
        return rest;
    }

    @Override
    public void run(ApplicationArguments args) {
        int status;
        try {
            GcReport report = service.runNow(args.containsOption("dry-run"));
            System.out.println(OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
            status = 0;
        } catch (Exception e) {
            System.err.println("gc failed: " + e);
            status = 1;
        }
        int code = status;
        System.exit(SpringApplication.exit(context, () -> code));
    }
}
