package dev.berth.registry.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.oci.Digest;
import dev.berth.oci.MediaTypes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A registry that lies: its manifest {@code lies/app:v1} names a layer whose bytes it serves wrongly (same
 * length, different content). It also rate-limits {@code busy/*} with 429 and knows nothing else (404).
 */
final class LyingUpstream implements AutoCloseable {
    /** Small enough to fail before the response starts. */
    static final byte[] TRUE_CONFIG = "the bytes the digest was computed over".getBytes(StandardCharsets.UTF_8);

    static final Digest CONFIG = Digest.sha256(TRUE_CONFIG);
    /** Large enough that the response streams before the mismatch shows. */
    static final byte[] TRUE_LAYER = new byte[1 << 20];

    static {
        new java.util.Random(42).nextBytes(TRUE_LAYER);
    }

    static final Digest LAYER = Digest.sha256(TRUE_LAYER);
    static final byte[] MANIFEST = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
                    + "\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + CONFIG
                    + "\",\"size\":"
                    + TRUE_CONFIG.length + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_GZIP
                    + "\",\"digest\":\""
                    + LAYER + "\",\"size\":" + TRUE_LAYER.length + "}]}")
            .getBytes(StandardCharsets.UTF_8);

    private final HttpServer server;
    final AtomicInteger blobGets = new AtomicInteger();

    LyingUpstream() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        boolean head = exchange.getRequestMethod().equals("HEAD");
        if (path.equals("/v2/lies/app/manifests/v1")) {
            exchange.getResponseHeaders().set("Content-Type", MediaTypes.OCI_MANIFEST);
            exchange.getResponseHeaders()
                    .set("Docker-Content-Digest", Digest.sha256(MANIFEST).toString());
            respond(exchange, 200, MANIFEST, head);
        } else if (path.equals("/v2/lies/app/blobs/" + LAYER) || path.equals("/v2/lies/app/blobs/" + CONFIG)) {
            if (!head) {
                blobGets.incrementAndGet();
            }
            byte[] truth = path.endsWith(LAYER.toString()) ? TRUE_LAYER : TRUE_CONFIG;
            byte[] wrong = Arrays.copyOf(truth, truth.length);
            wrong[wrong.length - 1] ^= 1;
            respond(exchange, 200, wrong, head);
        } else if (path.startsWith("/v2/busy/")) {
            exchange.getResponseHeaders().set("Retry-After", "7");
            respond(
                    exchange,
                    429,
                    "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\"}]}".getBytes(StandardCharsets.UTF_8),
                    head);
        } else {
            respond(exchange, 404, "{\"errors\":[{\"code\":\"NAME_UNKNOWN\"}]}".getBytes(StandardCharsets.UTF_8), head);
        }
    }

    private static void respond(HttpExchange exchange, int status, byte[] body, boolean head) throws IOException {
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
