package dev.berth.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The start-up compatibility check against S3Proxy: a conforming server passes and is left as it was; a server
 * that ignores conditional writes, a missing bucket and refused credentials are each refused with the failing
 * capability and the server's answer.
 */
class S3CompatibilityCheckTest {
    private static final String ROOT_PREFIX = "compat";

    @RegisterExtension
    static final S3ProxyExtension S3 = S3ProxyExtension.filesystem();

    private static S3ProxyServer server;
    private static S3Client bucket;

    @BeforeAll
    static void connect() {
        server = S3.server();
        bucket = S3.client();
    }

    @AfterEach
    void probeObjectsAreGone() {
        server.store().ignoreConditionalWrites(false);
        assertThat(bucket.listObjectsV2(b -> b.bucket(server.bucket()).prefix(ROOT_PREFIX + "/"))
                        .contents())
                .as("probe objects")
                .isEmpty();
        assertThat(bucket.listMultipartUploads(b -> b.bucket(server.bucket()).prefix(ROOT_PREFIX + "/"))
                        .uploads())
                .as("probe uploads")
                .isEmpty();
    }

    @Test
    void aServerWithConditionalWritesPasses() {
        try (S3Driver driver =
                new S3Driver(server.driverConfig().rootPrefix(ROOT_PREFIX).build())) {
            S3CompatibilityCheck.run(driver);
        }
    }

    @Test
    void aServerThatIgnoresConditionalWritesIsRefused() {
        server.store().ignoreConditionalWrites(true);
        try (S3Driver driver =
                new S3Driver(server.driverConfig().rootPrefix(ROOT_PREFIX).build())) {
            assertThatThrownBy(() -> S3CompatibilityCheck.run(driver))
                    .isInstanceOfSatisfying(S3CompatibilityException.class, e -> {
                        assertThat(e.capability()).isEqualTo("If-None-Match: * refuses an overwrite");
                        assertThat(e.answer()).startsWith("200 OK: the object was overwritten");
                    })
                    .hasMessageContaining(server.endpoint().toString())
                    .hasMessageContaining("corrupt")
                    .hasMessageContaining("berth.storage.s3.compatibility-check=false");
        }
    }

    @Test
    void aMissingBucketIsRefused() {
        try (S3Driver driver = new S3Driver(S3DriverConfig.builder("no-such-bucket")
                .endpoint(server.endpoint())
                .pathStyleAccess(true)
                .credentials(server.accessKey(), server.secretKey())
                .rootPrefix(ROOT_PREFIX)
                .build())) {
            assertThatThrownBy(() -> S3CompatibilityCheck.run(driver))
                    .isInstanceOfSatisfying(S3CompatibilityException.class, e -> {
                        assertThat(e.capability()).isEqualTo("credentials and bucket");
                        assertThat(e.answer()).startsWith("404");
                    })
                    .hasMessageContaining("'no-such-bucket'");
        }
    }

    @Test
    void refusedCredentialsAreRefused() {
        try (S3Driver driver = new S3Driver(server.driverConfig()
                .credentials(server.accessKey(), "wrong-secret")
                .rootPrefix(ROOT_PREFIX)
                .build())) {
            assertThatThrownBy(() -> S3CompatibilityCheck.run(driver))
                    .isInstanceOfSatisfying(S3CompatibilityException.class, e -> {
                        assertThat(e.capability()).isEqualTo("credentials and bucket");
                        assertThat(e.answer()).startsWith("403");
                    });
        }
    }
}
