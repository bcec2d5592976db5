package dev.berth.registry.proxy;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.springframework.security.crypto.bcrypt.BCrypt;

/**
 * The CNCF distribution registry (Debian's {@code docker-registry}) as an upstream: a child process on a fixed
 * loopback port (kept across {@link #stop}/{@link #start}) over a storage directory, optionally with htpasswd
 * Basic auth, writing an access log that tests count requests in.
 */
final class CncfRegistry implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final boolean tls;
    private Process process;

    private CncfRegistry(Path dir, int port, boolean tls) {
        this.dir = dir;
        this.port = port;
        this.tls = tls;
    }

    /** Starts a registry; with a user, it requires Basic auth (bcrypt htpasswd). */
    static CncfRegistry start(Path dir, String user, String password) throws IOException {
        return start(dir, user, password, null, null);
    }

    /** Starts a registry serving HTTPS with the given PEM certificate and key. */
    static CncfRegistry startTls(Path dir, Path certificate, Path key) throws IOException {
        return start(dir, null, null, certificate, key);
    }

    private static CncfRegistry start(Path dir, String user, String password, Path certificate, Path key)
            throws IOException {
        Files.createDirectories(dir);
        int port = freePort();
        StringBuilder cfg = new StringBuilder("version: 0.1\n")
                .append("log:\n  level: info\n  accesslog:\n    disabled: false\n")
                .append("storage:\n  filesystem:\n    rootdirectory: ")
                .append(dir.resolve("data"))
                .append('\n')
                .append("  delete:\n    enabled: true\n")
                .append("http:\n  addr: 127.0.0.1:")
                .append(port)
                .append('\n');
        if (certificate != null) {
            cfg.append("  tls:\n    certificate: ")
                    .append(certificate)
                    .append("\n    key: ")
                    .append(key)
                    .append('\n');
        }
        if (user != null) {
            Path htpasswd = dir.resolve("htpasswd");
            Files.writeString(
                    htpasswd,
                    user + ":" + BCrypt.hashpw(password, BCrypt.gensalt(5)).replaceFirst("^\\$2a\\$", "\\$2y\\$")
                            + "\n");
            cfg.append("auth:\n  htpasswd:\n    realm: berth-proxy-test\n    path: ")
                    .append(htpasswd)
                    .append('\n');
        }
        Files.writeString(dir.resolve("config.yml"), cfg.toString());
        CncfRegistry registry = new CncfRegistry(dir, port, certificate != null);
        registry.start();
        return registry;
    }

    /** (Re)starts the process on the same port and storage; the log is appended to. */
    void start() throws IOException {
        process = new ProcessBuilder(
                        "/usr/bin/docker-registry",
                        "serve",
                        dir.resolve("config.yml").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("docker-registry exited: " + Files.readString(log()));
            }
            if (answers()) {
                return;
            }
            try {
                process.waitFor(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        throw new IOException("docker-registry did not start: " + Files.readString(log()));
    }

    /** Plain HTTP: {@code GET /v2/} answers; TLS: the port accepts connections. */
    private boolean answers() {
        if (tls) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException notYet) {
                return false;
            }
        }
        try {
            HttpURLConnection c =
                    (HttpURLConnection) URI.create(url() + "/v2/").toURL().openConnection();
            c.setConnectTimeout(500);
            int status = c.getResponseCode();
            c.disconnect();
            return status == 200 || status == 401;
        } catch (IOException notYet) {
            return false;
        }
    }

    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    String url() {
        return (tls ? "https" : "http") + "://127.0.0.1:" + port;
    }

    Path log() {
        return dir.resolve("registry.log");
    }

    /** How many access-log lines show {@code method path} answered with {@code status}. */
    long requests(String method, String path, int status) throws IOException {
        Pattern line = Pattern.compile("\"" + method + " " + Pattern.quote(path) + " HTTP/1\\.1\" " + status + " ");
        try (var lines = Files.lines(log())) {
            return lines.filter(l -> line.matcher(l).find()).count();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            stop();
        }
    }
}
