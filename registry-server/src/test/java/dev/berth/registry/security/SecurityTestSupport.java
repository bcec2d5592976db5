package dev.berth.registry.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.springframework.security.crypto.bcrypt.BCrypt;

/** Helpers shared by the security tests: HTTP on real sockets, htpasswd lines, OCI layouts, skopeo. */
public final class SecurityTestSupport {
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private SecurityTestSupport() {}

    /** The bcrypt cost of the test users: the lowest there is, so tests stay fast (and unlike htpasswd's 5). */
    static final int TEST_COST = 4;

    /** An htpasswd line as {@code htpasswd -B -C 4} writes it ({@code $2y$}, cost {@link #TEST_COST}). */
    static String htpasswdLine(String user, String password) {
        return htpasswdLine(user, password, TEST_COST);
    }

    static String htpasswdLine(String user, String password, int cost) {
        return user + ":" + BCrypt.hashpw(password, BCrypt.gensalt(cost)).replaceFirst("^\\$2a\\$", "\\$2y\\$");
    }

    /**
     * The real htpasswd file of {@code berth.auth.htpasswd.path}, except that it adds to {@code checked} the hash
     * of every bcrypt comparison it makes: for a {@code @TestBean} replacing the {@code htpasswdFile} bean.
     */
    static HtpasswdFile recordingHtpasswd(Path file, Duration reloadInterval, List<String> checked) {
        return new HtpasswdFile(
                file,
                new AuthProperties.Htpasswd().getCacheTtl(),
                reloadInterval,
                java.time.Clock.systemUTC(),
                (password, hash) -> {
                    checked.add(hash);
                    return HtpasswdFile.bcrypt(password, hash);
                });
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static HttpResponse<String> send(int port, String method, String path, String authorization) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60))
                .method(
                        method,
                        method.equals("PUT") || method.equals("POST") || method.equals("PATCH")
                                ? HttpRequest.BodyPublishers.ofString("{}")
                                : HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        if (method.equals("PUT")) {
            builder.header("Content-Type", "application/vnd.oci.image.manifest.v1+json");
        }
        return HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Sends exactly these bytes (no client-side normalization of {@code ..} or percent escapes) and returns the
     * status code.
     */
    static int rawStatus(int port, String requestLine, String... headers) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            StringBuilder request = new StringBuilder(requestLine)
                    .append("\r\nHost: 127.0.0.1:")
                    .append(port)
                    .append("\r\nConnection: close\r\n");
            for (String header : headers) {
                request.append(header).append("\r\n");
            }
            request.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1 && b != '\n') {
                head.write(b);
            }
            String statusLine = head.toString(StandardCharsets.ISO_8859_1);
            return Integer.parseInt(statusLine.split(" ")[1]);
        }
    }

    /** The path of an executable on PATH, or null. */
    public static Path which(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** Result of a command. */
    public record Run(int exit, String output) {}

    /** Runs a command with a timeout, merging its output. */
    public static Run run(Path workDir, List<String> command) throws Exception {
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).directory(workDir.toFile());
        // Private, throwaway auth and containers configuration, so no host credentials are read or written.
        builder.environment()
                .put("REGISTRY_AUTH_FILE", workDir.resolve("auth.json").toString());
        builder.environment().put("XDG_RUNTIME_DIR", workDir.toString());
        builder.environment().put("HOME", workDir.toString());
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return new Run(-1, "timed out");
        }
        return new Run(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    /**
     * Writes a tiny OCI image layout (one empty gzip'd tar layer) at {@code dir}, tagged {@code tag}; skopeo
     * reads it as {@code oci:dir:tag}.
     */
    public static void writeOciLayout(Path dir, String tag) throws Exception {
        Path blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(new byte[1024]); // an empty tar archive: two zero blocks
        }
        byte[] layer = gz.toByteArray();
        String layerDigest = sha256(layer);
        String diffId = sha256(new byte[1024]);
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
                        + "\"diff_ids\":[\"" + diffId + "\"]},\"config\":{}}")
                .getBytes(StandardCharsets.UTF_8);
        String configDigest = sha256(config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                        + configDigest + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":"
                        + "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + layerDigest + "\",\"size\":"
                        + layer.length + "}]}")
                .getBytes(StandardCharsets.UTF_8);
        String manifestDigest = sha256(manifest);
        for (byte[] blob : List.of(layer, config, manifest)) {
            Files.write(blobs.resolve(sha256(blob).substring("sha256:".length())), blob);
        }
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(
                dir.resolve("index.json"),
                "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                        + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + manifestDigest
                        + "\",\"size\":"
                        + manifest.length + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + tag
                        + "\"}}]}");
    }

    static String sha256(byte[] content) throws Exception {
        return "sha256:"
                + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    /** The base command for skopeo against a plain-HTTP registry. */
    static List<String> skopeo(String... args) {
        List<String> command = new ArrayList<>(List.of("skopeo"));
        command.addAll(List.of(args));
        return command;
    }
}
