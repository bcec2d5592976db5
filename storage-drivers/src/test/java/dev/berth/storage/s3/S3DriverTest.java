package dev.berth.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.storage.StorageDriver;
import dev.berth.storage.kit.StorageDriverTestKit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The shared driver kit, unchanged, against a real S3 server (S3Proxy with SigV4), plus a check of the bucket
 * itself after every case: no unfinished multipart upload and nothing in the driver's hidden namespace.
 */
class S3DriverTest extends StorageDriverTestKit {
    private static final String ROOT_PREFIX = "registry";

    @RegisterExtension
    static final S3ProxyExtension S3 = S3ProxyExtension.filesystem();

    private static S3ProxyServer server;
    private static S3Client bucket;

    @BeforeAll
    static void connect() {
        server = S3.server();
        bucket = S3.client();
    }

    @Override
    protected StorageDriver newDriver() {
        // 8 MiB parts: the 4 GiB case streams in 513 parts.
        return new S3Driver(server.driverConfig()
                .rootPrefix(ROOT_PREFIX)
                .partSize(8L * 1024 * 1024)
                .build());
    }

    @Override
    protected void assertNoResidue() {
        assertThat(bucket.listMultipartUploadsPaginator(
                                b -> b.bucket(server.bucket()).prefix(ROOT_PREFIX + "/"))
                        .uploads())
                .extracting(MultipartUpload::key)
                .as("unfinished multipart uploads")
                .isEmpty();
        assertThat(bucket.listObjectsV2Paginator(
                                b -> b.bucket(server.bucket()).prefix(ROOT_PREFIX + "/" + S3Layout.HIDDEN + "/"))
                        .contents())
                .extracting(S3Object::key)
                .as("data, owner records and sessions")
                .isEmpty();
    }
}
