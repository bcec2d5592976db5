package dev.berth.storage.s3;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.storage.FileWriter;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageUnavailableException;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** An unreachable or throttling S3: typed, fast failures, retries with backoff, no partial state, recovery. */
class S3DriverFaultTest {
    private static final int MIB = 1024 * 1024;
    private static final int MAX_RETRIES = 2;

    @RegisterExtension
    static final S3ProxyExtension S3 = S3ProxyExtension.filesystem();

    private static S3ProxyServer server;
    private static S3Client bucket;

    private String prefix;
    private S3Driver driver;

    @BeforeAll
    static void connect() {
        server = S3.server();
        bucket = S3.client();
    }

    @BeforeEach
    void newDriver() throws Exception {
        server.start();
        server.store().failNothing();
        prefix = "faults-" + UUID.randomUUID();
        driver = new S3Driver(server.driverConfig()
                .rootPrefix(prefix)
                .maxRetries(MAX_RETRIES)
                .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .connectTimeout(Duration.ofSeconds(1))
                .socketTimeout(Duration.ofSeconds(10))
                .redirect(true)
                .build());
    }

    @AfterEach
    void closeDriver() throws Exception {
        server.store().failNothing();
        server.start();
        driver.close();
    }

    @Test
    void aStoppedServerMakesEveryOperationFailFastAsUnavailableAndARestartHeals() throws Exception {
        byte[] blob = random(6 * MIB, 1);
        driver.putContent("/links/a", "a".getBytes(UTF_8));
        commit("/blobs/b/data", blob);

        server.stop();
        Map<String, ThrowingCallable> operations = new LinkedHashMap<>();
        operations.put("getContent", () -> driver.getContent("/links/a"));
        operations.put("putContent", () -> driver.putContent("/links/c", new byte[1]));
        operations.put("reader", () -> driver.reader("/blobs/b/data", 10).close());
        operations.put("stat", () -> driver.stat("/links/a"));
        operations.put("list", () -> driver.list("/"));
        operations.put("walk", () -> driver.walk("/", info -> true));
        operations.put("writer", () -> driver.writer("/uploads/u/data", false));
        operations.put("move", () -> driver.move("/links/a", "/links/moved"));
        operations.put("delete", () -> driver.delete("/links"));
        operations.put("redirectUrl", () -> driver.redirectUrl("/blobs/b/data", Duration.ofMinutes(1)));
        operations.put("purgeUploads", () -> driver.purgeUploads(Duration.ofHours(1)));
        for (Map.Entry<String, ThrowingCallable> operation : operations.entrySet()) {
            long start = System.nanoTime();
            assertThatThrownBy(operation.getValue())
                    .as(operation.getKey())
                    .isInstanceOf(StorageUnavailableException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .as(operation.getKey() + " fails fast")
                    .isLessThan(Duration.ofSeconds(5));
        }
        // A writer that was open when the server went away fails on its next part, and on close.
        server.start();
        FileWriter open = driver.writer("/uploads/v/data", false);
        server.stop();
        assertThatThrownBy(() -> open.write(random(11 * MIB, 2), 0, 11 * MIB))
                .isInstanceOf(StorageUnavailableException.class);
        assertThatThrownBy(open::close).isInstanceOf(StorageUnavailableException.class);

        server.start();
        assertThat(driver.getContent("/links/a")).asString(UTF_8).isEqualTo("a");
        assertThat(driver.getContent("/blobs/b/data")).isEqualTo(blob);
        driver.putContent("/links/c", new byte[1]);
        driver.move("/links/a", "/links/moved");
        assertThat(driver.list("/links")).containsExactly("/links/c", "/links/moved");
        commit("/uploads/w/data", random(100, 3));
        driver.delete("/");
        assertNothingLeft();
    }

    @Test
    void throttlingIsRetriedWithBackoffAndPersistentThrottlingBecomesUnavailable() throws Exception {
        server.store().resetCounters();
        server.store().failNext(MAX_RETRIES, 503, "SlowDown");
        long start = System.nanoTime();
        driver.putContent("/throttled", "ok".getBytes(UTF_8));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        // putContent is a HEAD and a PUT: the HEAD was refused twice and retried.
        assertThat(server.store().requests()).isEqualTo(MAX_RETRIES + 2);
        assertThat(driver.getContent("/throttled")).asString(UTF_8).isEqualTo("ok");
        assertThat(took).isLessThan(Duration.ofSeconds(5));

        for (Map.Entry<Integer, String> error :
                Map.of(503, "SlowDown", 500, "InternalError").entrySet()) {
            server.store().resetCounters();
            server.store().failNext(100, error.getKey(), error.getValue());
            assertThatThrownBy(() -> driver.getContent("/throttled"))
                    .as(error.getValue())
                    .isInstanceOf(StorageUnavailableException.class);
            assertThat(server.store().requests())
                    .as("attempts for " + error.getValue())
                    .isEqualTo(MAX_RETRIES + 1);
            server.store().failNothing();
        }
        driver.delete("/throttled");
        assertNothingLeft();
    }

    @Test
    void aCommitWhoseCompletionFailsPublishesNothingAndCanBeResumed() throws Exception {
        byte[] first = random(12 * MIB, 4);
        try (FileWriter writer = driver.writer("/uploads/u/data", false)) {
            writer.write(first, 0, first.length);
        }
        FileWriter writer = driver.writer("/uploads/u/data", true);
        writer.write(random(MIB, 5), 0, MIB);
        server.store().failNext(100, 503, "SlowDown", (operation, key) -> operation.equals("completeMultipartUpload"));

        assertThatThrownBy(writer::commit).isInstanceOf(StorageUnavailableException.class);
        server.store().failNothing();

        assertThatThrownBy(() -> driver.stat("/uploads/u/data")).isInstanceOf(PathNotFoundException.class);
        assertThatThrownBy(() -> driver.list("/")).isInstanceOf(PathNotFoundException.class);
        // The last closed state survives: a retry of the upload continues from it.
        try (FileWriter resumed = driver.writer("/uploads/u/data", true)) {
            assertThat(resumed.size()).isEqualTo(first.length);
            resumed.commit();
        }
        assertThat(driver.getContent("/uploads/u/data")).isEqualTo(first);
        driver.delete("/");
        assertNothingLeft();
    }

    @Test
    void aCommitWhosePointerCannotBeWrittenLeavesNothingBehind() throws Exception {
        FileWriter writer = driver.writer("/blobs/b/data", false);
        writer.write(random(11 * MIB, 6), 0, 11 * MIB);
        // Everything succeeds up to the pointer, the visibility point.
        server.store()
                .failNext(
                        100,
                        503,
                        "SlowDown",
                        (operation, key) -> operation.equals("putBlob") && !key.contains(S3Layout.HIDDEN));

        assertThatThrownBy(writer::commit).isInstanceOf(StorageUnavailableException.class);
        server.store().failNothing();

        assertThatThrownBy(() -> driver.stat("/blobs/b/data")).isInstanceOf(PathNotFoundException.class);
        assertNothingLeft();
    }

    private void commit(String path, byte[] content) throws IOException {
        try (FileWriter writer = driver.writer(path, false)) {
            writer.write(content, 0, content.length);
            writer.commit();
        }
    }

    private void assertNothingLeft() {
        assertThat(bucket.listObjectsV2Paginator(b -> b.bucket(server.bucket()).prefix(prefix + "/"))
                        .contents())
                .extracting(S3Object::key)
                .isEmpty();
        assertThat(bucket.listMultipartUploadsPaginator(
                                b -> b.bucket(server.bucket()).prefix(prefix + "/"))
                        .uploads())
                .isEmpty();
    }

    private static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }
}
