package dev.berth.registry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real jar with a bad configuration exits non-zero and prints a short report naming the property and the file,
 * not a stack trace (the cases one by one are in {@code StartupFailureTest}).
 */
class StartupFailureIT {
    @TempDir
    Path dir;

    @Test
    void missingHtpasswdFileExitsNonZeroWithAShortReport() throws Exception {
        Path htpasswd = dir.resolve("users.htpasswd");
        String output = runFailing("--berth.auth.mode=htpasswd", "--berth.auth.htpasswd.path=" + htpasswd);
        assertThat(output)
                .contains(
                        "APPLICATION FAILED TO START",
                        "berth.auth.htpasswd.path",
                        htpasswd.toString(),
                        "does not exist",
                        "htpasswd -Bc");
    }

    @Test
    void portInUseExitsNonZeroWithAShortReport() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String output = runFailing("--server.port=" + taken.getLocalPort());
            assertThat(output).contains("Port " + taken.getLocalPort() + " (server.port) is already in use");
        }
    }

    /** Runs the jar to its exit, asserts a non-zero status and no stack trace, and returns what it printed. */
    private String runFailing(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m",
                "-jar",
                Path.of(System.getProperty(RegistryProcess.JAR_PROPERTY)).toString(),
                "--server.address=127.0.0.1",
                "--berth.storage.filesystem.root=" + dir.resolve("data")));
        if (List.of(args).stream().noneMatch(a -> a.startsWith("--server.port="))) {
            command.add("--server.port=0");
        }
        command.addAll(List.of(args));
        Path log = dir.resolve("output.log");
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("exited").isTrue();
        } finally {
            process.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("exit status; output:%n%s", output).isNotZero();
        assertThat(output.lines().filter(line -> line.matches("\\s+at [\\w.$]+\\(.*")))
                .as("stack trace lines in:%n%s", output)
                .isEmpty();
        assertThat(output.lines().count()).as("lines printed:%n%s", output).isLessThan(40);
        return output;
    }
}
