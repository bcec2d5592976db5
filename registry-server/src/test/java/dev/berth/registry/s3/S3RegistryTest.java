package dev.berth.registry.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.oci.ErrorResponse;
import dev.berth.oci.OciJson;
import dev.berth.storage.s3.S3ProxyExtension;
import dev.berth.storage.s3.S3ProxyServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The registry on the S3 driver, against S3Proxy: the HTTP API round trip, presigned redirects, and behaviour
 * while S3 is down (503 with Retry-After, nothing half-written) and after it comes back.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class S3RegistryTest {
    @RegisterExtension
    static final S3ProxyExtension PROXY = S3ProxyExtension.filesystem();

    private static final S3ProxyServer S3 = PROXY.server();
    private static final AtomicInteger REPOS = new AtomicInteger();

    @DynamicPropertySource
    static void storage(DynamicPropertyRegistry registry) {
        registry.add("berth.storage.driver", () -> "s3");
        registry.add("berth.storage.s3.bucket", S3::bucket);
        registry.add("berth.storage.s3.region", S3::region);
        registry.add("berth.storage.s3.endpoint", () -> S3.endpoint().toString());
        registry.add("berth.storage.s3.path-style-access", () -> "true");
        registry.add("berth.storage.s3.access-key", S3::accessKey);
        registry.add("berth.storage.s3.secret-key", S3::secretKey);
        registry.add("berth.storage.s3.root-prefix", () -> "s3-registry-test");
        registry.add("berth.storage.s3.redirect", () -> "true");
        // Fail fast while S3 is down: one retry, short timeouts.
        registry.add("berth.storage.s3.max-retries", () -> "1");
        registry.add("berth.storage.s3.retry-base-delay", () -> "20ms");
        registry.add("berth.storage.s3.connect-timeout", () -> "1s");
    }

    @LocalServerPort
    int port;

    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final HttpClient following = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();

    @Test
    void blobsAndManifestsRoundTripAndBlobGetsRedirectToS3() {
        String repo = "s3/app" + REPOS.incrementAndGet();
        byte[] layer = random(300_000, 1);
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        Digest layerDigest = pushMonolithic(repo, layer);
        Digest configDigest = pushMonolithic(repo, config);
        byte[] manifest = manifest(configDigest, config.length, layerDigest, layer.length);

        HttpResponse<byte[]> put = send(
                client,
                "PUT",
                "/v2/" + repo + "/manifests/v1",
                manifest,
                "Content-Type",
                "application/vnd.oci.image.manifest.v1+json");
        assertThat(put.statusCode()).as(describe(put)).isEqualTo(201);

        HttpResponse<byte[]> pulled = send(
                client,
                "GET",
                "/v2/" + repo + "/manifests/v1",
                null,
                "Accept",
                "application/vnd.oci.image.manifest.v1+json");
        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(manifest);

        // Redirects on: the registry answers 307 to a presigned URL; a client that follows gets the bytes.
        HttpResponse<byte[]> redirect = send(client, "GET", "/v2/" + repo + "/blobs/" + layerDigest, null);
        assertThat(redirect.statusCode()).as(describe(redirect)).isEqualTo(307);
        assertThat(redirect.headers().firstValue("Location"))
                .hasValueSatisfying(location -> assertThat(location)
                        .startsWith(S3.endpoint().toString())
                        .contains("X-Amz-Signature"));
        HttpResponse<byte[]> followed = send(following, "GET", "/v2/" + repo + "/blobs/" + layerDigest, null);
        assertThat(followed.statusCode()).isEqualTo(200);
        assertThat(followed.body()).isEqualTo(layer);

        HttpResponse<byte[]> head = send(client, "HEAD", "/v2/" + repo + "/blobs/" + layerDigest, null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(layer.length);
    }

    @Test
    void chunkedUploadsResumeAcrossRequests() {
        String repo = "s3/chunks" + REPOS.incrementAndGet();
        byte[] content = random(200_000, 2);
        Digest digest = Digest.compute(DigestAlgorithm.SHA256, content);
        String location = startUpload(repo);
        HttpResponse<byte[]> first = send(
                client,
                "PATCH",
                location,
                slice(content, 0, 120_000),
                "Content-Type",
                "application/octet-stream",
                "Content-Range",
                "0-119999");
        assertThat(first.statusCode()).as(describe(first)).isEqualTo(202);
        String next = first.headers().firstValue("Location").orElseThrow();
        HttpResponse<byte[]> done = send(
                client,
                "PUT",
                next + (next.contains("?") ? "&" : "?") + "digest=" + digest,
                slice(content, 120_000, content.length),
                "Content-Type",
                "application/octet-stream");
        assertThat(done.statusCode()).as(describe(done)).isEqualTo(201);

        assertThat(send(following, "GET", "/v2/" + repo + "/blobs/" + digest, null)
                        .body())
                .isEqualTo(content);
    }

    @Test
    void whileS3IsDownRequestsAnswer503WithRetryAfterAndLeaveNothingBehind() throws Exception {
        String repo = "s3/outage" + REPOS.incrementAndGet();
        byte[] content = random(50_000, 3);
        Digest stored = pushMonolithic(repo, content);
        byte[] other = random(40_000, 4);
        Digest otherDigest = Digest.compute(DigestAlgorithm.SHA256, other);
        String blob = "/v2/" + repo + "/blobs/" + stored;

        S3.stop();
        try {
            assertUnavailable(send(client, "GET", blob, null), true);
            assertUnavailable(send(client, "HEAD", blob, null), false);
            assertUnavailable(send(client, "POST", "/v2/" + repo + "/blobs/uploads/", null), true);
            assertUnavailable(
                    send(
                            client,
                            "POST",
                            "/v2/" + repo + "/blobs/uploads/?digest=" + otherDigest,
                            other,
                            "Content-Type",
                            "application/octet-stream"),
                    true);
        } finally {
            S3.start();
        }

        // Back: the service resumes, and the failed uploads left neither blobs nor upload sessions.
        assertThat(send(following, "GET", blob, null).body()).isEqualTo(content);
        assertThat(send(client, "HEAD", "/v2/" + repo + "/blobs/" + otherDigest, null)
                        .statusCode())
                .isEqualTo(404);
        try (S3Client bucket = S3.newClient()) {
            assertThat(bucket.listObjectsV2Paginator(b -> b.bucket(S3.bucket())
                                    .prefix("s3-registry-test/v2/repositories/" + repo + "/_uploads/"))
                            .contents())
                    .extracting(S3Object::key)
                    .isEmpty();
            assertThat(bucket.listObjectsV2Paginator(b -> b.bucket(S3.bucket())
                                    .prefix("s3-registry-test/v2/blobs/sha256/"
                                            + otherDigest.hex().substring(0, 2) + "/" + otherDigest.hex()))
                            .contents())
                    .extracting(S3Object::key)
                    .isEmpty();
        }
        Digest after = pushMonolithic(repo, other);
        assertThat(send(following, "GET", "/v2/" + repo + "/blobs/" + after, null)
                        .body())
                .isEqualTo(other);
    }

    private static void assertUnavailable(HttpResponse<byte[]> response, boolean withBody) {
        assertThat(response.statusCode()).as(describe(response)).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After"))
                .as(describe(response))
                .isPresent();
        if (withBody) {
            ErrorResponse error = OciJson.mapper().readValue(response.body(), ErrorResponse.class);
            assertThat(error.errors().get(0).code()).isEqualTo("UNAVAILABLE");
        }
    }

    // ---------------------------------------------------------------- helpers

    private String startUpload(String repo) {
        HttpResponse<byte[]> r = send(client, "POST", "/v2/" + repo + "/blobs/uploads/", null);
        assertThat(r.statusCode()).as(describe(r)).isEqualTo(202);
        return r.headers().firstValue("Location").orElseThrow();
    }

    private Digest pushMonolithic(String repo, byte[] content) {
        Digest digest = Digest.compute(DigestAlgorithm.SHA256, content);
        String location = startUpload(repo);
        HttpResponse<byte[]> r = send(
                client,
                "PUT",
                location + (location.contains("?") ? "&" : "?") + "digest=" + digest,
                content,
                "Content-Type",
                "application/octet-stream");
        assertThat(r.statusCode()).as(describe(r)).isEqualTo(201);
        return digest;
    }

    static byte[] manifest(Digest config, long configSize, Digest layer, long layerSize) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                        + config
                        + "\",\"size\":" + configSize
                        + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                        + "\"digest\":\"" + layer + "\",\"size\":" + layerSize + "}]}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private HttpResponse<byte[]> send(
            HttpClient http, String method, String pathOrLocation, byte[] body, String... headers) {
        URI uri = pathOrLocation.startsWith("http")
                ? URI.create(pathOrLocation)
                : URI.create("http://127.0.0.1:" + port + pathOrLocation);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String describe(HttpResponse<byte[]> r) {
        return r.statusCode() + " " + r.headers().map() + " " + new String(r.body(), StandardCharsets.UTF_8);
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static byte[] slice(byte[] content, int from, int to) {
        byte[] part = new byte[to - from];
        System.arraycopy(content, from, part, 0, part.length);
        return part;
    }
}
