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
    private Process process;

    private CncfRegistry(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Starts a registry; with a user, it requires Basic auth (bcrypt htpasswd). */
    static CncfRegistry start(Path dir, String user, String password) throws IOException {
        Files.createDirectories(dir);
        int port = freePort();
        StringBuilder cfg = new StringBuilder("version: 0.1\n")
                .append("log:\n  level: info\n  accesslog:\n    disabled: false\n")
                .append("storage:\n  filesystem:\n    rootdirectory: ").append(dir.resolve("data")).append('\n')
                .append("  delete:\n    enabled: true\n")
                .append("http:\n  addr: 127.0.0.1:").append(port).append('\n');
        if (user != null) {
            Path htpasswd = dir.resolve("htpasswd");
            Files.writeString(htpasswd, user + ":" + BCrypt.hashpw(password, BCrypt.gensalt(5))
                    .replaceFirst("^\\$2a\\$", "\\$2y\\$") + "\n");
            cfg.append("auth:\n  htpasswd:\n    realm: berth-proxy-test\n    path: ").append(htpasswd).append('\n');
        }
        Files.writeString(dir.resolve("config.yml"), cfg.toString());
        CncfRegistry registry = new CncfRegistry(dir, port);
        registry.start();
        return registry;
    }

    /** (Re)starts the process on the same port and storage; the log is appended to. */
    void start() throws IOException {
        process = new ProcessBuilder("/usr/bin/docker-registry", "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("docker-registry exited: " + Files.readString(log()));
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create(url() + "/v2/").toURL().openConnection();
                c.setConnectTimeout(500);
                int status = c.getResponseCode();
                c.disconnect();
                if (status == 200 || status == 401) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
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

    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    String url() {
        return "http://127.0.0.1:" + port;
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
