package dev.berth.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.registry.testing.Resp;
import dev.berth.registry.testing.TempRoots;
import dev.berth.registry.testing.TestHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A registry on a random port over a temporary storage root, shared by every subclass (one Spring context),
 * with a real HTTP/1.1 client and a raw-socket helper for what {@link HttpClient} will not send.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class BlobApiSupport {
    protected static final Path ROOT = tempRoot("berth-blob-api");
    private static final AtomicInteger REPOS = new AtomicInteger();

    @DynamicPropertySource
    static void storage(DynamicPropertyRegistry registry) {
        registry.add("berth.storage.filesystem.root", ROOT::toString);
        registry.add("berth.uploads.chunk-min-length", () -> "1KB");
    }

    @LocalServerPort
    protected int port;

    protected final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    protected static Path tempRoot(String prefix) {
        return TempRoots.create(prefix);
    }

    /** A repository no other test uses (tests share one storage root). */
    protected static String newRepo(String hint) {
        return "blobs/" + hint + REPOS.incrementAndGet();
    }

    protected static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    protected static Digest sha256(byte[] content) {
        return Digest.compute(DigestAlgorithm.SHA256, content);
    }

    protected URI uri(String pathOrLocation) {
        return URI.create("http://127.0.0.1:" + port + pathOrLocation);
    }

    /** Sends {@code body} with a Content-Length (null: no body). Headers as name, value pairs. */
    protected Resp send(String method, String path, byte[] body, String... headers) {
        return send(
                method,
                path,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body),
                headers);
    }

    /** Sends {@code body} with chunked transfer encoding: no Content-Length. */
    protected Resp sendChunked(String method, String path, Supplier<InputStream> body, String... headers) {
        return send(method, path, HttpRequest.BodyPublishers.ofInputStream(body), headers);
    }

    protected Resp send(String method, String path, HttpRequest.BodyPublisher body, String... headers) {
        return send(client, method, path, body, headers);
    }

    /**
     * For requests the server answers before reading their body (416, 400): on a connection of its own, since
     * the JDK client can stall a kept-alive connection whose response overtook the request body.
     */
    protected Resp sendAnsweredEarly(String method, String path, byte[] body, String... headers) {
        HttpClient fresh =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        return send(fresh, method, path, HttpRequest.BodyPublishers.ofByteArray(body), headers);
    }

    private Resp send(
            HttpClient client, String method, String path, HttpRequest.BodyPublisher body, String... headers) {
        return TestHttp.send(client, method, uri(path), body, java.time.Duration.ofSeconds(20), headers);
    }

    protected Resp get(String path, String... headers) {
        return send("GET", path, (byte[]) null, headers);
    }

    protected Resp head(String path) {
        return send("HEAD", path, (byte[]) null);
    }

    /** POST /blobs/uploads/ and checks the 202; returns the upload location. */
    protected String startUpload(String repo, String query) {
        Resp r = send("POST", "/v2/" + repo + "/blobs/uploads/" + query, (byte[]) null);
        assertThat(r.status()).as("%s", r).isEqualTo(202);
        return r.header("Location");
    }

    /** Pushes a blob with POST then PUT; returns its digest. */
    protected Digest push(String repo, byte[] content) {
        Digest digest = sha256(content);
        String location = startUpload(repo, "");
        Resp r = send("PUT", location + "?digest=" + digest, content);
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        return digest;
    }

    protected static String blobPath(String repo, Digest digest) {
        return "/v2/" + repo + "/blobs/" + digest;
    }

    /** Copies of the blob's bytes in the blob store (markers and staging excluded). */
    protected static long storedBlobFiles(Path root, Digest digest) throws IOException {
        Path dir = root.resolve("v2/blobs/" + digest.algorithm().id());
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().equals("data"))
                    .filter(p -> p.toString().contains(digest.hex()))
                    .count();
        }
    }

    /** Writes a raw HTTP/1.1 request head and body, then reads until the server closes or answers. */
    protected String raw(byte[] request, int timeoutMillis) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(timeoutMillis);
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            int n = in.read(buffer);
            return n < 0 ? "" : new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
        }
    }
}
