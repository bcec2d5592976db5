package dev.berth.puller.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * {@code berth-pull snapshotter} as its own process, from the jar this module packaged (system property
 * {@code berth.pull.jar}, set by the integration-test run), so a test can kill it with SIGKILL.
 */
public final class SnapshotterProcess implements AutoCloseable {
    private final Path root;
    private final Path socket;
    private final Path log;
    private Process process;

    public SnapshotterProcess(Path root, Path socket, Path log) {
        this.root = root;
        this.socket = socket;
        this.log = log;
    }

    /** Starts it and waits until its socket accepts calls. */
    public SnapshotterProcess start() throws IOException {
        String jar = System.getProperty("berth.pull.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IOException("berth-pull's jar is missing (" + jar + "): run mvn verify");
        }
        Files.deleteIfExists(socket);
        // Layers CRI asks for that the store lacks are pulled by Berth (from the tests' plain-HTTP registry).
        process = new ProcessBuilder(
                        "java",
                        "-Xmx128m",
                        "-jar",
                        jar,
                        "snapshotter",
                        "--root",
                        root.toString(),
                        "--address",
                        socket.toString(),
                        "--pull-missing",
                        "--plain-http")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        Awaitility.await("snapshotter listening on " + socket)
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IOException("snapshotter exited: " + Files.readString(log));
                    }
                    return Files.exists(socket);
                });
        return this;
    }

    public Path socket() {
        return socket;
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed or cleaned. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (alive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    /** The process's output so far (for failure messages). */
    public String output() throws IOException {
        return Files.readString(log);
    }
}
