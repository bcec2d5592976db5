package dev.berth.registry.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.oci.MediaTypes;
import dev.berth.oci.OciJson;
import dev.berth.registry.testing.Resp;
import dev.berth.registry.testing.TestHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small HTTP client for one registry (by base URL), with the pushes the cache and notification tests need:
 * whole blobs in one POST, image manifests over fresh blobs, mounts, and raw requests.
 */
public final class TestRegistry {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final String base;

    public TestRegistry(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    public Resp send(String method, String path, byte[] body, String... headers) {
        return TestHttp.send(client, method, URI.create(base + path), body, TIMEOUT, headers);
    }

    public Resp get(String path, String... headers) {
        return send("GET", path, null, headers);
    }

    public Resp head(String path) {
        return send("HEAD", path, null);
    }

    public Resp delete(String path) {
        return send("DELETE", path, null);
    }

    /** Uploads {@code content} in one POST and returns its digest. */
    public Digest pushBlob(String repo, byte[] content) {
        Digest d = Digest.sha256(content);
        Resp r = send(
                "POST",
                "/v2/" + repo + "/blobs/uploads/?digest=" + d,
                content,
                "Content-Type",
                "application/octet-stream");
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        return d;
    }

    /** Cross-mounts {@code digest} from {@code from} into {@code repo}; asserts it was mounted. */
    public void mount(String repo, Digest digest, String from) {
        Resp r = send("POST", "/v2/" + repo + "/blobs/uploads/?mount=" + digest + "&from=" + from, null);
        assertThat(r.status()).as("%s", r).isEqualTo(201);
    }

    /** An OCI image manifest over a fresh config and {@code layer}, both uploaded; not yet pushed. */
    public byte[] image(String repo, byte[] layer) {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":\"" + System.nanoTime() + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        Digest c = pushBlob(repo, config);
        Digest l = pushBlob(repo, layer);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.OCI_MANIFEST);
        m.put("config", descriptor(MediaTypes.OCI_CONFIG, c, config.length));
        m.put("layers", List.of(descriptor(MediaTypes.OCI_LAYER_GZIP, l, layer.length)));
        return OciJson.mapper().writeValueAsBytes(m);
    }

    /** PUTs a manifest under {@code reference}; asserts 201 and returns its digest. */
    public String putManifest(String repo, String reference, byte[] body) {
        Resp r = send("PUT", "/v2/" + repo + "/manifests/" + reference, body, "Content-Type", MediaTypes.OCI_MANIFEST);
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        return r.header("Docker-Content-Digest");
    }

    private static Map<String, Object> descriptor(String mediaType, Digest digest, long size) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("mediaType", mediaType);
        d.put("digest", digest.toString());
        d.put("size", size);
        return d;
    }
}
