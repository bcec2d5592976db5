package dev.berth.unionfs.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command with a timeout and collects its output; for tests only. */
public final class Proc {

    public record Result(int exitCode, String out, String err) {}

    private Proc() {}

    public static Result run(String... cmd) throws IOException, InterruptedException {
        return run(List.of(cmd), 120);
    }

    public static Result run(List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        java.io.File err = java.io.File.createTempFile("proc", ".err");
        try {
            pb.redirectError(err);
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + cmd);
            }
            return new Result(
                    p.exitValue(),
                    new String(out, StandardCharsets.UTF_8),
                    java.nio.file.Files.readString(err.toPath(), StandardCharsets.UTF_8));
        } finally {
            err.delete();
        }
    }

    public static Result check(String... cmd) throws IOException, InterruptedException {
        Result r = run(cmd);
        if (r.exitCode() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + r.exitCode() + ": " + r.err());
        }
        return r;
    }
}
