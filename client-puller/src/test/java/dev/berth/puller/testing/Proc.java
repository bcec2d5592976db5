package dev.berth.puller.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs external tools (skopeo, umoci, runc, mount) and fails loudly with their output. */
public final class Proc {
    private Proc() {}

    public record Result(int exit, String output) {}

    public static Result run(Path cwd, List<String> command, long timeoutSeconds) throws IOException {
        Path log = Files.createTempFile("berth-proc", ".log");
        try {
            ProcessBuilder pb =
                    new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            if (cwd != null) {
                pb.directory(cwd.toFile());
            }
            Process p = pb.start();
            try {
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                    throw new IOException("timed out: " + command + "\n" + Files.readString(log));
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted: " + command);
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    public static String check(List<String> command) throws IOException {
        Result r = run(null, command, 120);
        if (r.exit() != 0) {
            throw new IOException("failed (" + r.exit() + "): " + command + "\n" + r.output());
        }
        return r.output();
    }
}
