package dev.berth.registry.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.oci.Digest;
import dev.berth.registry.testing.Resp;
import dev.berth.storage.s3.S3ProxyExtension;
import dev.berth.storage.s3.S3ProxyServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The pull-through cache on the S3 driver (against S3Proxy): streamed, verified, stored once, then served. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ProxyOnS3Test {
    @TempDir
    static Path dir;

    @RegisterExtension
    static final S3ProxyExtension S3 = S3ProxyExtension.filesystem();

    static S3ProxyServer s3;
    static CncfRegistry upstream;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        s3 = S3.server();
        upstream = CncfRegistry.start(dir.resolve("upstream"), null, null);
        registry.add("berth.storage.driver", () -> "s3");
        registry.add("berth.storage.s3.bucket", s3::bucket);
        registry.add("berth.storage.s3.region", s3::region);
        registry.add("berth.storage.s3.endpoint", () -> s3.endpoint().toString());
        registry.add("berth.storage.s3.path-style-access", () -> "true");
        registry.add("berth.storage.s3.access-key", s3::accessKey);
        registry.add("berth.storage.s3.secret-key", s3::secretKey);
        registry.add("berth.storage.s3.root-prefix", () -> "proxy-on-s3");
        registry.add("berth.proxy.enabled", () -> "true");
        registry.add("berth.proxy.upstreams[0].name", () -> "upstream.test");
        registry.add("berth.proxy.upstreams[0].prefix", () -> "up");
        registry.add("berth.proxy.upstreams[0].url", upstream::url);
    }

    @AfterAll
    static void stop() throws Exception {
        upstream.close();
    }

    @Test
    void concurrentPullsOfAnUncachedImageFetchEachBlobOnce() throws Exception {
        byte[] layer = Images.layer(40, 6 << 20);
        Digest layerDigest = Digest.sha256(layer);
        String digest = new Images(upstream.url(), null).pushImage("team/app", "v1", layer);

        List<CompletableFuture<HttpResponse<byte[]>>> pulls = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            pulls.add(Images.HTTP.sendAsync(
                    HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + port + "/v2/up/team/app/blobs/" + layerDigest))
                            .timeout(Duration.ofMinutes(1))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        }
        for (CompletableFuture<HttpResponse<byte[]>> pull : pulls) {
            HttpResponse<byte[]> r = pull.get();
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(Digest.sha256(r.body())).isEqualTo(layerDigest);
        }
        Resp manifest = new Images("http://127.0.0.1:" + port, null)
                .send("GET", "/v2/up/team/app/manifests/v1", HttpRequest.BodyPublishers.noBody());
        assertThat(manifest.header("Docker-Content-Digest")).isEqualTo(digest);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(upstream.requests("GET", "/v2/team/app/blobs/" + layerDigest, 200))
                        .isEqualTo(1));
    }
}
