package dev.berth.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.berth.storage.FileWriter;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The claim that gives an unfinished write to one writer at a time (see {@code S3Driver}, "Claims"), beyond what
 * the shared kit checks: two drivers (two replicas) contend, a dead writer's claim expires after the lease, and
 * a writer that was taken over can no longer store anything.
 */
class S3DriverClaimTest {
    private static final Duration LEASE = Duration.ofSeconds(2);

    @RegisterExtension
    static final S3ProxyExtension S3 = S3ProxyExtension.filesystem();

    private static S3ProxyServer server;
    private static S3Client bucket;

    @BeforeAll
    static void connect() {
        server = S3.server();
        bucket = S3.client();
    }

    private static S3Driver replica() {
        return new S3Driver(server.driverConfig()
                .rootPrefix("claims")
                .uploadClaimLease(LEASE)
                .build());
    }

    @Test
    void aDeadWritersClaimIsTakenOverAfterTheLeaseAndFencesIt() throws Exception {
        String path = "/upload/dead-writer";
        try (S3Driver one = replica();
                S3Driver two = replica()) {
            try (FileWriter first = one.writer(path, false)) {
                first.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            }
            FileWriter stalled = one.writer(path, true);
            stalled.write(ByteBuffer.wrap(new byte[] {4}));

            assertThatThrownBy(() -> two.writer(path, true))
                    .as("held by the stalled writer")
                    .isInstanceOf(PathNotFoundException.class);

            // Once the lease has run out (judged with Last-Modified and Date, to the second), two takes over.
            try (FileWriter takeover = await().atMost(LEASE.plusSeconds(15))
                    .pollInterval(Duration.ofMillis(250))
                    .ignoreException(PathNotFoundException.class)
                    .until(() -> two.writer(path, true), w -> true)) {
                assertThat(takeover.size()).isEqualTo(3);
                takeover.write(ByteBuffer.wrap(new byte[] {9}));
            }
            assertThatThrownBy(stalled::close)
                    .as("the stalled writer must not overwrite the session")
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("took over");

            try (FileWriter last = one.writer(path, true)) {
                assertThat(last.size()).isEqualTo(4);
                last.commit();
            }
            assertThat(two.getContent(path)).containsExactly(1, 2, 3, 9);
            two.delete("/upload");
        }
        assertThat(bucket.listObjectsV2(b -> b.bucket(server.bucket()).prefix("claims/"))
                        .contents())
                .as("nothing left, claims included")
                .isEmpty();
    }

    @Test
    void aLiveWriterRenewsItsClaimWhileWriting() throws Exception {
        String path = "/upload/live-writer";
        try (S3Driver one = replica();
                S3Driver two = replica()) {
            try (FileWriter first = one.writer(path, false)) {
                first.write(ByteBuffer.wrap(new byte[] {1}));
            }
            try (FileWriter slow = one.writer(path, true)) {
                // Writes trickle in for longer than the lease; renewals keep the other replica out.
                for (int i = 0; i < 8; i++) {
                    Thread.sleep(LEASE.toMillis() / 3);
                    slow.write(ByteBuffer.wrap(new byte[] {(byte) (10 + i)}));
                    assertThatThrownBy(() -> two.writer(path, true)).isInstanceOf(PathNotFoundException.class);
                }
            }
            try (FileWriter next = two.writer(path, true)) {
                assertThat(next.size()).isEqualTo(9);
                next.cancel();
            }
        }
        assertThat(bucket.listObjectsV2(b -> b.bucket(server.bucket()).prefix("claims/"))
                        .contents())
                .isEmpty();
    }

    @Test
    void onAServerThatComparesIfMatchLiterallyClaimsStillRenewAndStaleETagsStillFail() throws Exception {
        String path = "/upload/literal-if-match";
        server.store().compareIfMatchLiterally(true);
        try (S3Driver one = replica();
                S3Driver two = replica()) {
            try (FileWriter first = one.writer(path, false)) {
                first.write(ByteBuffer.wrap(new byte[] {1}));
            }
            try (FileWriter renewing = one.writer(path, true)) {
                renewing.write(ByteBuffer.wrap(new byte[] {2}));
                assertThatThrownBy(() -> two.writer(path, true)).isInstanceOf(PathNotFoundException.class);
            } // close renews the claim with If-Match before storing the session: refused quoted, accepted bare

            String key = one.layout().claimKey(path) + "-probe";
            String eTag = one.bucket().putConditionally(path, key, new byte[] {1}, "text/plain", Map.of(), "*", null);
            assertThat(one.bucket().putConditionally(path, key, new byte[] {2}, "text/plain", Map.of(), null, eTag))
                    .as("current ETag")
                    .isNotNull();
            assertThat(one.bucket().putConditionally(path, key, new byte[] {3}, "text/plain", Map.of(), null, eTag))
                    .as("stale ETag")
                    .isNull();
            bucket.deleteObject(b -> b.bucket(server.bucket()).key(key));

            try (FileWriter last = two.writer(path, true)) {
                assertThat(last.size()).isEqualTo(2);
                last.cancel();
            }
        } finally {
            server.store().compareIfMatchLiterally(false);
        }
        assertThat(bucket.listObjectsV2(b -> b.bucket(server.bucket()).prefix("claims/"))
                        .contents())
                .isEmpty();
    }
}
