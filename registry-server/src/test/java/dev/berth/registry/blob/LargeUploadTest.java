package dev.berth.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.registry.testing.Resp;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A 512 MiB blob streamed through one PATCH (chunked, no Content-Length) must not be held in memory: neither
 * on the heap (measured after GC) nor in Netty's pooled direct buffers (sampled while the body flows).
 */
class LargeUploadTest extends BlobApiSupport {
    private static final long SIZE = 512L << 20;
    private static final long MiB = 1 << 20;

    @Test
    void halfAGigabyteStreamsInBoundedMemory() throws Exception {
        String repo = newRepo("large");
        String location = startUpload(repo, "");
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long heapBefore = usedHeapAfterGc(memory);

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong peakDirect = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (running.get()) {
                peakDirect.accumulateAndGet(
                        PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory(), Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        Resp patch;
        try {
            patch = sendChunked("PATCH", location, () -> new GeneratedStream(SIZE, sha256));
        } finally {
            running.set(false);
            sampler.join();
        }
        assertThat(patch.status()).as("%s", patch).isEqualTo(202);
        assertThat(patch.header("Range")).isEqualTo("0-" + (SIZE - 1));
        long heapAfter = usedHeapAfterGc(memory);

        Digest digest = Digest.of(DigestAlgorithm.SHA256, sha256.digest());
        Resp put = send("PUT", location + "?digest=" + digest, (byte[]) null);
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        Resp head = head(blobPath(repo, digest));
        assertThat(head.header("Content-Length")).isEqualTo(Long.toString(SIZE));

        assertThat(heapAfter - heapBefore).as("heap retained").isLessThan(32 * MiB);
        assertThat(peakDirect.get()).as("peak pooled direct memory").isLessThan(64 * MiB);
        Files.delete(ROOT.resolve("v2/blobs/sha256/" + digest.hex().substring(0, 2) + "/" + digest.hex() + "/data"));
    }

    private static long usedHeapAfterGc(MemoryMXBean memory) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** Pseudo-random bytes made on the fly, hashed as they are handed out. */
    private static final class GeneratedStream extends InputStream {
        private final byte[] block = randomBytes(1 << 16, 42);
        private final MessageDigest digest;
        private long remaining;
        private long counter;

        GeneratedStream(long size, MessageDigest digest) {
            this.remaining = size;
            this.digest = digest;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (remaining == 0) {
                return -1;
            }
            int n = (int) Math.min(Math.min(len, remaining), block.length);
            System.arraycopy(block, 0, b, off, n);
            // Vary each block so the content is not periodic.
            long c = counter++;
            for (int i = 0; i < 8 && i < n; i++) {
                b[off + i] = (byte) (c >>> (8 * i));
            }
            digest.update(b, off, n);
            remaining -= n;
            return n;
        }
    }
}
