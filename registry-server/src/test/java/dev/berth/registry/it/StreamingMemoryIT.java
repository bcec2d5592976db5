package dev.berth.registry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.registry.it.RegistryHttp.Response;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Peak heap does not grow with blob size: the registry runs with a 128 MiB heap and 64 MiB of direct memory
 * (and exits on OutOfMemoryError) while 1 GiB blobs are pushed monolithically and in chunked PATCHes and pulled back, the
 * bytes generated on the fly and the digest verified on the way back. A registry that buffers a blob anywhere
 * cannot pass.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StreamingMemoryIT {
    static final long GIB = 1024L * 1024 * 1024;
    static final long PATCH_SIZE = 256L * 1024 * 1024;
    static final Duration TRANSFER_TIMEOUT = Duration.ofMinutes(5);
    static final String NAME = "streaming/big";

    @RegisterExtension
    static final RegistryProcess registry =
            RegistryProcess.create().jvmArgs("-Xmx128m", "-XX:MaxDirectMemorySize=64m", "-XX:+ExitOnOutOfMemoryError");

    static final RegistryHttp http = new RegistryHttp(registry::baseUri);

    @BeforeAll
    static void onlyWithTheHeapCap() {
        assumeTrue(RegistryProcess.isChildProcess(), "the heap cap applies only to the jar run as a child process");
    }

    @Test
    @Order(1)
    void a_1_GiB_blob_pushed_with_one_monolithic_PUT_is_stored_and_served_intact_under_a_128_MiB_heap()
            throws IOException {
        long seed = 1;
        String digest = Generated.digest(seed, GIB);
        Response post = http.post("/v2/" + NAME + "/blobs/uploads/").send();
        assertThat(post.status()).as(post::describe).isEqualTo(202);

        BodyPublisher body =
                BodyPublishers.fromPublisher(BodyPublishers.ofInputStream(() -> new Generated(seed, 0, GIB)), GIB);
        Response put = http.put(post.location())
                .query("digest", digest)
                .header("Content-Type", "application/octet-stream")
                .body(body)
                .timeout(TRANSFER_TIMEOUT)
                .send();
        assertThat(put.status())
                .as("%s\nregistry log tail:\n%s", put.describe(), registry.logTail(3000))
                .isEqualTo(201);
        assertServedIntact(digest);
    }

    @Test
    @Order(2)
    void a_1_GiB_blob_pushed_in_streamed_PATCH_chunks_is_stored_and_served_intact_under_a_128_MiB_heap()
            throws IOException {
        long seed = 2;
        String digest = Generated.digest(seed, GIB);
        Response response = http.post("/v2/" + NAME + "/blobs/uploads/").send();
        assertThat(response.status()).as(response::describe).isEqualTo(202);
        for (long offset = 0; offset < GIB; offset += PATCH_SIZE) {
            long start = offset;
            // Unknown length: sent with Transfer-Encoding: chunked, as streaming clients do.
            BodyPublisher body = BodyPublishers.ofInputStream(() -> new Generated(seed, start, PATCH_SIZE));
            response = http.patch(response.location())
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", start + "-" + (start + PATCH_SIZE - 1))
                    .body(body)
                    .timeout(TRANSFER_TIMEOUT)
                    .send();
            assertThat(response.status())
                    .as("%s\nregistry log tail:\n%s", response.describe(), registry.logTail(3000))
                    .isEqualTo(202);
            assertThat(response.header("Range")).as(response::describe).isEqualTo("0-" + (start + PATCH_SIZE - 1));
        }
        Response put = http.put(response.location())
                .query("digest", digest)
                .timeout(TRANSFER_TIMEOUT)
                .send();
        assertThat(put.status())
                .as("%s\nregistry log tail:\n%s", put.describe(), registry.logTail(3000))
                .isEqualTo(201);
        assertServedIntact(digest);
    }

    private void assertServedIntact(String digest) throws IOException {
        Response head = http.head("/v2/" + NAME + "/blobs/" + digest).send();
        assertThat(head.status()).as(head::describe).isEqualTo(200);
        assertThat(head.header("Content-Length")).as(head::describe).isEqualTo(String.valueOf(GIB));

        HttpResponse<InputStream> get = http.get("/v2/" + NAME + "/blobs/" + digest).timeout(TRANSFER_TIMEOUT).stream();
        assertThat(get.statusCode()).isEqualTo(200);
        Digests.Hashed served = RegistryHttp.drain(get.body());
        assertThat(served.size()).as("bytes served").isEqualTo(GIB);
        assertThat(served.digest()).as("digest of the bytes served").isEqualTo(digest);
        assertThat(registry.isRunning())
                .as("registry still running (no OutOfMemoryError)")
                .isTrue();
    }

    /**
     * {@code length} pseudo-random bytes starting at {@code offset} of an endless stream defined by the seed:
     * each 8-byte word is a SplitMix64 mix of its index, so any range is generated directly.
     */
    static final class Generated extends InputStream {
        private final long seed;
        private long position;
        private final long end;

        Generated(long seed, long offset, long length) {
            this.seed = seed;
            this.position = offset;
            this.end = offset + length;
        }

        static String digest(long seed, long length) throws IOException {
            return RegistryHttp.drain(new Generated(seed, 0, length)).digest();
        }

        private byte at(long index) {
            long z = (index >>> 3) + seed * 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z = z ^ (z >>> 31);
            return (byte) (z >>> ((index & 7) * 8));
        }

        @Override
        public int read() {
            return position < end ? at(position++) & 0xff : -1;
        }

        @Override
        public int read(byte[] buffer, int off, int len) {
            if (position >= end) {
                return -1;
            }
            int n = (int) Math.min(len, end - position);
            int i = 0;
            // Whole words at once where aligned, byte by byte at the edges.
            while (i < n && (position & 7) != 0) {
                buffer[off + i++] = at(position++);
            }
            while (n - i >= 8) {
                long z = (position >>> 3) + seed * 0x9E3779B97F4A7C15L;
                z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
                z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
                z = z ^ (z >>> 31);
                for (int b = 0; b < 8; b++) {
                    buffer[off + i++] = (byte) (z >>> (b * 8));
                }
                position += 8;
            }
            while (i < n) {
                buffer[off + i++] = at(position++);
            }
            return n;
        }
    }
}
