package dev.berth.puller.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The CNCF distribution registry (Debian's docker-registry) on a loopback port with filesystem storage in a
 * temporary directory; images are pushed with skopeo from OCI layouts.
 */
public final class TestRegistry implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final Process process;
    private final String htpasswdUser;
    private final String htpasswdPassword;
    private final boolean tls;

    private TestRegistry(Path dir, int port, Process process, String user, String password) {
        this(dir, port, process, user, password, false);
    }

    private TestRegistry(Path dir, int port, Process process, String user, String password, boolean tls) {
        this.tls = tls;
        this.dir = dir;
        this.port = port;
        this.process = process;
        this.htpasswdUser = user;
        this.htpasswdPassword = password;
    }

    public static TestRegistry start(Path dir) throws IOException {
        return start(dir, null, null);
    }

    /** With a user and password, the registry requires Basic auth (htpasswd with bcrypt). */
    public static TestRegistry start(Path dir, String user, String password) throws IOException {
        Files.createDirectories(dir);
        int port = freePort();
        StringBuilder cfg = new StringBuilder();
        cfg.append("version: 0.1\n")
                .append("log:\n  level: info\n  accesslog:\n    disabled: false\n")
                .append("storage:\n  filesystem:\n    rootdirectory: ")
                .append(dir.resolve("data"))
                .append('\n')
                .append("  delete:\n    enabled: true\n")
                .append("http:\n  addr: 127.0.0.1:")
                .append(port)
                .append('\n');
        if (user != null) {
            Path htpasswd = dir.resolve("htpasswd");
            Proc.check(List.of("htpasswd", "-Bbc", htpasswd.toString(), user, password));
            cfg.append("auth:\n  htpasswd:\n    realm: berth-test\n    path: ")
                    .append(htpasswd)
                    .append('\n');
        }
        Path config = dir.resolve("config.yml");
        Files.writeString(config, cfg.toString());
        Process p = new ProcessBuilder("/usr/bin/docker-registry", "serve", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("registry.log").toFile())
                .start();
        TestRegistry r = new TestRegistry(dir, port, p, user, password);
        r.awaitReady();
        return r;
    }

    /**
     * The CNCF registry serving HTTPS with a fresh self-signed certificate for 127.0.0.1, whose PEM is
     * {@link #certificate()} (for --ca-file).
     */
    public static TestRegistry startTls(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Proc.check(List.of(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                key.toString(),
                "-out",
                cert.toString(),
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-days",
                "2"));
        int port = freePort();
        Path config = dir.resolve("config.yml");
        Files.writeString(
                config,
                "version: 0.1\nlog:\n  level: info\n"
                        + "storage:\n  filesystem:\n    rootdirectory: " + dir.resolve("data") + "\n"
                        + "http:\n  addr: 127.0.0.1:" + port + "\n  tls:\n    certificate: " + cert + "\n    key: "
                        + key
                        + "\n");
        Process p = new ProcessBuilder("/usr/bin/docker-registry", "serve", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("registry.log").toFile())
                .start();
        TestRegistry r = new TestRegistry(dir, port, p, null, null, true);
        r.awaitReady();
        return r;
    }

    /** The PEM certificate of a {@link #startTls} registry. */
    public Path certificate() {
        return dir.resolve("cert.pem");
    }

    /**
     * Berth's own registry, from the jar the registry-server module built (system property
     * {@code berth.registry.jar}, set by the integration-test run), with filesystem storage under {@code dir}.
     */
    public static TestRegistry startBerth(Path dir) throws IOException {
        String jar = System.getProperty("berth.registry.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IOException("Berth's registry jar is missing (" + jar + "): run mvn verify from the root");
        }
        Files.createDirectories(dir);
        int port = freePort();
        Process p = new ProcessBuilder(
                        "java",
                        "-Xmx256m",
                        "-jar",
                        jar,
                        "--server.port=" + port,
                        "--berth.storage.filesystem.root=" + dir.resolve("data"))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("registry.log").toFile())
                .start();
        TestRegistry r = new TestRegistry(dir, port, p, null, null);
        r.awaitReady();
        return r;
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1:" + port;
    }

    public Path log() {
        return dir.resolve("registry.log");
    }

    /** One request as the registry's access log tells it: what it served, with which status and how many bytes. */
    public record Served(String method, String path, int status, long bytes) {
        public boolean isBlob(dev.berth.oci.Digest digest) {
            return path.endsWith("/blobs/" + digest);
        }
    }

    private static final java.util.regex.Pattern ACCESS_LINE =
            java.util.regex.Pattern.compile("\"([A-Z]+) (\\S+) HTTP/[0-9.]+\" (\\d{3}) (\\d+|-) ");

    /** Every request the registry has logged so far (a request is logged once its response is finished). */
    public List<Served> accessLog() throws IOException {
        List<Served> out = new ArrayList<>();
        for (String line : Files.readAllLines(log())) {
            java.util.regex.Matcher m = ACCESS_LINE.matcher(line);
            if (m.find() && !line.startsWith("time=")) {
                out.add(new Served(
                        m.group(1),
                        m.group(2),
                        Integer.parseInt(m.group(3)),
                        m.group(4).equals("-") ? 0 : Long.parseLong(m.group(4))));
            }
        }
        return out;
    }

    /** Pushes {@code oci:<layout>:<tag>} to {@code <repo>:<tag>} (all platforms of an index). */
    public void push(Path layout, String tag, String repoAndTag) throws IOException {
        List<String> cmd =
                new ArrayList<>(List.of("skopeo", "copy", "--all", "--dest-tls-verify=false", "--preserve-digests"));
        if (htpasswdUser != null) {
            cmd.add("--dest-creds=" + htpasswdUser + ":" + htpasswdPassword);
        }
        cmd.add("oci:" + layout + ":" + tag);
        cmd.add("docker://" + host() + "/" + repoAndTag);
        Proc.check(cmd);
    }

    private void awaitReady() throws IOException {
        try {
            Awaitility.await()
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IOException("registry exited: " + Files.readString(log()));
                        }
                        if (tls) {
                            try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
                                return true;
                            } catch (IOException notYet) {
                                return false;
                            }
                        }
                        try {
                            HttpURLConnection c = (HttpURLConnection) URI.create("http://" + host() + "/v2/")
                                    .toURL()
                                    .openConnection();
                            c.setConnectTimeout(500);
                            int status = c.getResponseCode();
                            c.disconnect();
                            return status == 200 || status == 401;
                        } catch (IOException notYet) {
                            return false; // still starting
                        }
                    });
        } catch (ConditionTimeoutException e) {
            throw new IOException("registry did not start: " + Files.readString(log()));
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
