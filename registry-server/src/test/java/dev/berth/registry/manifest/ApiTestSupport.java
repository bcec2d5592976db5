package dev.berth.registry.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.oci.MediaTypes;
import dev.berth.oci.OciJson;
import dev.berth.registry.storage.BlobStore;
import dev.berth.registry.storage.RepositoryLinks;
import dev.berth.registry.testing.Resp;
import dev.berth.registry.testing.TempRoots;
import dev.berth.registry.testing.TestHttp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Shared set-up for the manifest-side API tests: a registry on a random port over a temporary storage root
 * (one Spring context for every subclass), a raw HTTP/1.1 client, and builders for manifests whose blobs are
 * seeded straight into the blob store and the repository's links.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class ApiTestSupport {
    static final Path ROOT = tempRoot();
    private static final AtomicInteger REPO_COUNTER = new AtomicInteger();
    /** A stuck exchange fails its test instead of hanging the build. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    @DynamicPropertySource
    static void storage(DynamicPropertyRegistry registry) {
        registry.add("berth.storage.filesystem.root", ROOT::toString);
    }

    @LocalServerPort
    int port;

    @Autowired
    BlobStore blobs;

    @Autowired
    RepositoryLinks links;

    final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static Path tempRoot() {
        return TempRoots.create("berth-manifest-api");
    }

    /** A repository name no other test uses: tests share one storage root. */
    static String newRepo(String hint) {
        return "test/" + hint + REPO_COUNTER.incrementAndGet();
    }

    Resp send(String method, String path, byte[] body, String... headers) {
        return TestHttp.send(client, method, URI.create("http://localhost:" + port + path), body, TIMEOUT, headers);
    }

    Resp send(HttpRequest request) {
        return TestHttp.send(client, request);
    }

    Resp get(String path, String... headers) {
        return send("GET", path, null, headers);
    }

    Resp head(String path, String... headers) {
        return send("HEAD", path, null, headers);
    }

    Resp delete(String path) {
        return send("DELETE", path, null);
    }

    Resp putManifest(String repo, String reference, String contentType, byte[] body) {
        return send("PUT", "/v2/" + repo + "/manifests/" + reference, body, "Content-Type", contentType);
    }

    /** PUTs a manifest and asserts it was created; returns its digest. */
    String push(String repo, String reference, String contentType, byte[] body) {
        Resp r = putManifest(repo, reference, contentType, body);
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        return r.header("Docker-Content-Digest");
    }

    /** Stores a blob and links it into {@code repo}, as a finished upload would. */
    Map<String, Object> seedBlob(String repo, String mediaType, byte[] content) {
        try {
            Digest d = blobs.putSmall(content, DigestAlgorithm.SHA256);
            links.link(repo, d);
            return descriptor(mediaType, d.toString(), content.length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Object> descriptor(String mediaType, String digest, long size) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("mediaType", mediaType);
        d.put("digest", digest);
        d.put("size", size);
        return d;
    }

    static String sha256(byte[] content) {
        return Digest.sha256(content).toString();
    }

    static byte[] json(Object value) {
        return OciJson.mapper().writeValueAsBytes(value);
    }

    /** An image manifest of {@code mediaType} over the given config and layers (maps from {@link #seedBlob}). */
    static byte[] imageManifest(
            String mediaType, Map<String, Object> config, List<Map<String, Object>> layers, Map<String, Object> extra) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schemaVersion", 2);
        if (mediaType != null) {
            m.put("mediaType", mediaType);
        }
        m.put("config", config);
        m.put("layers", layers);
        m.putAll(extra);
        return json(m);
    }

    static byte[] index(String mediaType, List<Map<String, Object>> manifests, Map<String, Object> extra) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schemaVersion", 2);
        m.put("mediaType", mediaType);
        m.put("manifests", manifests);
        m.putAll(extra);
        return json(m);
    }

    /** Seeds a fresh config and layer and returns an OCI image manifest over them (unique per call). */
    byte[] ociImage(String repo) {
        int n = REPO_COUNTER.incrementAndGet();
        Map<String, Object> config = seedBlob(
                repo,
                MediaTypes.OCI_CONFIG,
                ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8));
        Map<String, Object> layer =
                seedBlob(repo, MediaTypes.OCI_LAYER_GZIP, ("layer-" + n).getBytes(StandardCharsets.UTF_8));
        return imageManifest(MediaTypes.OCI_MANIFEST, config, List.of(layer), Map.of());
    }

    /** The {@code <...>} target of a {@code Link: <...>; rel="next"} header. */
    static String linkTarget(String link) {
        assertThat(link).endsWith("; rel=\"next\"").startsWith("<");
        return link.substring(1, link.indexOf('>'));
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }
}
