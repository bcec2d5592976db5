package dev.berth.registry.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The packaged registry jar, run as a child process on a free port over a temporary storage root.
 *
 * <p>Register it as a static extension and it starts before the class's tests and stops (and deletes its root)
 * after them:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RegistryProcess registry = RegistryProcess.create().jvmArgs("-Xmx128m");
 * }</pre>
 *
 * Tests that simulate crashes call {@link #kill()} (SIGKILL) and {@link #start()} again: the root is kept, the
 * port may change, so always build URLs from {@link #baseUri()}. Each start's output goes to
 * {@code target/it-logs/<test class>-<n>.log}. Set {@code -Dberth.it.keep=true} to keep the storage root.
 *
 * <p>With {@code -Dberth.it.external=http://host:port} nothing is started and tests that need only the HTTP API
 * run against that registry instead (useful to check the tests themselves against a reference registry);
 * tests that need the process or its storage root are skipped.
 */
public final class RegistryProcess implements BeforeAllCallback, AfterAllCallback {
    /** System property (set by failsafe) naming the repackaged jar under test. */
    public static final String JAR_PROPERTY = "berth.it.jar";
    /** System property naming an already running registry to test instead of the jar. */
    public static final String EXTERNAL_PROPERTY = "berth.it.external";

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    private final List<String> jvmArgs = new ArrayList<>(List.of("-XX:+UseSerialGC", "-Xmx256m"));
    private final Map<String, String> properties = new LinkedHashMap<>();
    private final HttpClient probe = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    private String label = "registry";
    /** Set by {@link #throughLauncher}: start through bin/berth-registry with this archive cache directory. */
    private Path launcherCache;
    /** The extension context that started the registry; nested classes inherit the extension but not the job. */
    private String owner;

    private Path root;
    private Path log;
    private Process process;
    private Thread reaper;
    private int port;
    private int starts;

    private RegistryProcess() {}

    public static RegistryProcess create() {
        return new RegistryProcess();
    }

    /** JVM options for the child; an {@code -Xmx} here replaces the default heap cap. */
    public RegistryProcess jvmArgs(String... args) {
        for (String arg : args) {
            if (arg.startsWith("-Xmx")) {
                jvmArgs.removeIf(a -> a.startsWith("-Xmx"));
            }
            jvmArgs.add(arg);
        }
        return this;
    }

    /**
     * Starts the registry through its launcher ({@code bin/berth-registry}, with the test JVM as {@code JAVA})
     * instead of {@code java -jar}, keeping extracted jars and start-up archives in {@code cache}. The JVM
     * options given to {@link #jvmArgs} do not apply then (the launcher sets its own).
     */
    public RegistryProcess throughLauncher(Path cache) {
        this.launcherCache = cache;
        return this;
    }

    /** The process id of the running registry's JVM (the launcher execs it). */
    public synchronized long pid() {
        return process.pid();
    }

    /** A Spring property passed as {@code --name=value}. */
    public RegistryProcess property(String name, String value) {
        properties.put(name, value);
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (owner != null) {
            return;
        }
        owner = context.getUniqueId();
        label = context.getRequiredTestClass().getSimpleName();
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (!context.getUniqueId().equals(owner)) {
            return;
        }
        owner = null;
        stop();
        if (root != null && !Boolean.getBoolean("berth.it.keep")) {
            deleteRecursively(root);
        }
    }

    /** Starts the registry (on the existing root after a stop or kill) and waits until {@code GET /v2/} is 200. */
    public synchronized void start() throws IOException, InterruptedException {
        if (external() != null) {
            return;
        }
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("registry is already running");
        }
        if (root == null) {
            root = Files.createTempDirectory("berth-it-");
        }
        Path jar = jarSnapshot();
        Path logDir = jar().getParent().resolve("it-logs");
        Files.createDirectories(logDir);
        starts++;
        log = logDir.resolve(label + "-" + starts + ".log");
        port = freePort();

        List<String> command = new ArrayList<>();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        if (launcherCache == null) {
            command.add(java);
            command.addAll(jvmArgs);
            command.add("-jar");
            command.add(jar.toString());
        } else {
            command.add(jar().getParent()
                    .resolveSibling("bin")
                    .resolve("berth-registry")
                    .toString());
        }
        command.add("--server.port=" + port);
        command.add("--server.address=127.0.0.1");
        command.add("--berth.storage.filesystem.root=" + root);
        properties.forEach((k, v) -> command.add("--" + k + "=" + v));
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        if (launcherCache != null) {
            builder.environment().put("JAVA", java);
            builder.environment().put("BERTH_REGISTRY_JAR", jar.toString());
            builder.environment().put("BERTH_CACHE_DIR", launcherCache.toString());
        }
        process = builder.start();
        Process started = process;
        reaper = new Thread(started::destroyForcibly, "registry-reaper-" + port);
        Runtime.getRuntime().addShutdownHook(reaper);
        awaitReady(started);
    }

    /** Stops the registry gracefully (SIGTERM), forcibly if it does not exit in 20 seconds. */
    public synchronized void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        forget();
    }

    /** Kills the registry with SIGKILL, as a crash would: no shutdown hooks, no flushing. */
    public synchronized void kill() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        forget();
    }

    /** Stops (gracefully) and starts again on the same storage root. */
    public void restart() throws IOException, InterruptedException {
        stop();
        start();
    }

    public synchronized boolean isRunning() {
        return external() != null || process != null && process.isAlive();
    }

    /** {@code http://127.0.0.1:<port>} of the current (or last) start. */
    public synchronized URI baseUri() {
        URI external = external();
        return external != null ? external : URI.create("http://127.0.0.1:" + port);
    }

    /** {@code 127.0.0.1:<port>}, as image references want it. */
    public synchronized String hostPort() {
        URI external = external();
        return external != null ? external.getAuthority() : "127.0.0.1:" + port;
    }

    /** True when the registry under test is this jar as a child process (so it can be killed and inspected). */
    public static boolean isChildProcess() {
        return external() == null;
    }

    private static URI external() {
        String value = System.getProperty(EXTERNAL_PROPERTY);
        return value == null || value.isBlank() ? null : URI.create(value);
    }

    /** The storage root ({@code berth.storage.filesystem.root}); kept across restarts. */
    public synchronized Path root() {
        return root;
    }

    /** The output of the current (or last) start, for failure messages. */
    public synchronized String logTail(int maxChars) {
        if (log == null || !Files.exists(log)) {
            return "";
        }
        try {
            String text = Files.readString(log, StandardCharsets.UTF_8);
            return text.length() <= maxChars ? text : text.substring(text.length() - maxChars);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private void awaitReady(Process started) throws IOException {
        URI ping = URI.create("http://127.0.0.1:" + port + "/v2/");
        try {
            await().atMost(readyTimeout()).pollInterval(Duration.ofMillis(200)).until(() -> {
                if (!started.isAlive()) {
                    throw new IllegalStateException("registry exited with " + started.exitValue()
                            + " during startup; log " + log + ":\n" + logTail(8000));
                }
                try {
                    return probe.send(
                                            HttpRequest.newBuilder(ping)
                                                    .timeout(Duration.ofSeconds(2))
                                                    .GET()
                                                    .build(),
                                            HttpResponse.BodyHandlers.discarding())
                                    .statusCode()
                            == 200;
                } catch (IOException notYet) {
                    return false; // not listening yet
                }
            });
        } catch (ConditionTimeoutException e) {
            started.destroyForcibly();
            throw new IllegalStateException("registry did not answer GET /v2/ with 200 within " + readyTimeout()
                    + "; log " + log + ":\n" + logTail(8000));
        }
    }

    /** Through the launcher, a first start also extracts the jar and runs a training run (minutes on a busy machine). */
    private Duration readyTimeout() {
        return launcherCache == null ? READY_TIMEOUT : Duration.ofMinutes(10);
    }

    private void forget() {
        process = null;
        if (reaper != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
            reaper = null;
        }
    }

    private static Path snapshot;

    /**
     * A private copy of the jar, taken once per test JVM: other builds may repackage the jar while tests run,
     * and a restarted registry must be the same build as before.
     */
    private static synchronized Path jarSnapshot() throws IOException {
        if (snapshot == null) {
            Path copy = Files.createTempFile("berth-registry-it-", ".jar");
            copy.toFile().deleteOnExit();
            Files.copy(jar(), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            snapshot = copy;
        }
        return snapshot;
    }

    private static Path jar() {
        String value = System.getProperty(JAR_PROPERTY);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + JAR_PROPERTY
                    + " is not set; run integration tests through maven-failsafe after package");
        }
        Path jar = Path.of(value);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("registry jar not found: " + jar);
        }
        return jar;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
