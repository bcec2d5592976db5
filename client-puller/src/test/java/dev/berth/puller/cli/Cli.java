package dev.berth.puller.cli;

import dev.berth.oci.OciJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/** Runs berth-pull's command line in this JVM, capturing stdout, stderr and the exit status. */
final class Cli {
    private Cli() {}

    record Run(int exit, String out, String err) {
        JsonNode json() {
            return OciJson.mapper().readTree(out);
        }

        /** The one JSON object a failure prints on stderr with --json. */
        JsonNode jsonError() {
            String[] lines = err.strip().split("\n");
            if (lines.length != 1) {
                throw new AssertionError("expected one line on stderr, got: " + err);
            }
            return OciJson.mapper().readTree(lines[0]);
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = BerthPull.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** With these environment variables instead of the process's (HTTP_PROXY and friends). */
    static Run runWithEnvironment(Map<String, String> env, String... args) {
        Map<String, String> saved = CommonOptions.environment;
        CommonOptions.environment = env;
        try {
            return run(args);
        } finally {
            CommonOptions.environment = saved;
        }
    }
}
