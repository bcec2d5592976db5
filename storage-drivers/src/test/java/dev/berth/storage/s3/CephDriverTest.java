package dev.berth.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.storage.StorageDriver;
import dev.berth.storage.kit.StorageDriverTestKit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The S3 driver on a real distributed S3: Ceph's RADOS Gateway 16 ({@link CephCluster}, one per test JVM), over
 * plain HTTP and over HTTPS. Each transport runs the shared driver kit unchanged and the start-up compatibility
 * check; both met a Ceph quirk before (chunked-signed empty PUTs over HTTP, quoted {@code If-Match} ETags).
 */
class CephDriverTest {

    abstract static class OnCeph extends StorageDriverTestKit {
        private final boolean https;
        private final String rootPrefix;

        OnCeph(boolean https) {
            this.https = https;
            this.rootPrefix = https ? "kit-https" : "kit-http";
        }

        private S3Driver newS3Driver() throws Exception {
            // 5 MiB parts, S3's minimum: multipart cases need fewer bytes.
            return new S3Driver(CephCluster.shared()
                    .driverConfig(https)
                    .rootPrefix(rootPrefix)
                    .partSize(5L * 1024 * 1024)
                    .build());
        }

        @Override
        protected StorageDriver newDriver() throws Exception {
            return newS3Driver();
        }

        @Override
        protected boolean runsHugeCase() {
            return false;
        }

        @Override
        protected void assertNoResidue() throws Exception {
            try (S3Client bucket = CephCluster.shared().newClient()) {
                assertThat(bucket.listMultipartUploadsPaginator(
                                        b -> b.bucket(CephCluster.BUCKET).prefix(rootPrefix + "/"))
                                .uploads())
                        .extracting(MultipartUpload::key)
                        .as("unfinished multipart uploads")
                        .isEmpty();
                assertThat(bucket.listObjectsV2Paginator(b ->
                                        b.bucket(CephCluster.BUCKET).prefix(rootPrefix + "/" + S3Layout.HIDDEN + "/"))
                                .contents())
                        .extracting(S3Object::key)
                        .as("data, owner records and sessions")
                        .isEmpty();
            }
        }

        @Test
        void passesTheCompatibilityCheck() throws Exception {
            try (S3Driver s3 = newS3Driver()) {
                S3CompatibilityCheck.run(s3);
            }
        }
    }

    @Nested
    class OverHttp extends OnCeph {
        OverHttp() {
            super(false);
        }
    }

    @Nested
    class OverHttps extends OnCeph {
        OverHttps() {
            super(true);
        }
    }
}
