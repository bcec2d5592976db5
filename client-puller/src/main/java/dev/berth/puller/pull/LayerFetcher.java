package dev.berth.puller.pull;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.io.DigestMismatchException;
import dev.berth.oci.io.VerifyingInputStream;
import dev.berth.puller.registry.Backoff;
import dev.berth.puller.registry.BlobUnavailableException;
import dev.berth.puller.registry.RegistryClient;
import dev.berth.puller.registry.ResumingBlobStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One layer's single pass, nothing staged on disk:
 *
 * <pre>
 * HTTP body (resumes with Range) -> digest + size check -> gunzip/unzstd -> DiffID hash -> tar apply -> diff/
 * </pre>
 *
 * The compressed digest is checked by the verifying stream at end of body, the DiffID once the tar is read
 * to its end; either mismatch throws, and the caller discards the directory.
 */
final class LayerFetcher {
    private static final int DRAIN_BUFFER = 64 * 1024;

    private final RegistryClient client;
    private final String repository;
    private final LayerUnpacker unpacker;
    private final Backoff backoff;

    LayerFetcher(RegistryClient client, String repository, LayerUnpacker unpacker, Backoff backoff) {
        this.client = client;
        this.repository = repository;
        this.unpacker = unpacker;
        this.backoff = backoff;
    }

    /**
     * Downloads {@code layer} and applies it into {@code diffDir}.
     *
     * @param bytes counts compressed bytes as they arrive
     * @return bytes of regular-file content written into {@code diffDir}
     */
    long fetch(int index, Descriptor layer, Digest diffId, Path diffDir, PullListener listener, AtomicLong bytes)
            throws IOException {
        ResumingBlobStream body = new ResumingBlobStream(client, repository, layer.digest(), layer.size(), backoff,
                new ResumingBlobStream.Listener() {
                    @Override
                    public void bytesRead(long n) {
                        bytes.addAndGet(n);
                        listener.layerProgress(index, n);
                    }

                    @Override
                    public void resuming(long position, int attempt, IOException cause) {
                        listener.layerResuming(index, position, attempt, cause);
                    }
                });
        try (body) {
            // The verifying stream sits above the resuming one, so its hash state simply continues across
            // reconnects: every byte is hashed exactly once, in order.
            VerifyingInputStream verified = new VerifyingInputStream(body, layer.digest(), layer.size());
            InputStream tar = Decompression.wrap(verified, layer.mediaType());
            DigestingInputStream diff = new DigestingInputStream(tar, diffId.algorithm());
            long written;
            try {
                written = unpacker.apply(diff, diffDir);
                // The tar reader may stop at the end-of-archive blocks; the DiffID covers the padding after
                // them, and the blob digest is only checked at the end of the body.
                drain(diff);
            } catch (IOException e) {
                throw explain(e, verified);
            }
            drain(verified);
            if (!verified.verified()) {
                throw new DigestMismatchException(layer.digest(), "body was not read to its end");
            }
            Digest actualDiffId = diff.digest();
            if (!actualDiffId.equals(diffId)) {
                throw new DigestMismatchException(diffId, "uncompressed layer has DiffID " + actualDiffId
                        + " but the config's rootfs.diff_ids says " + diffId);
            }
            return written;
        }
    }

    /**
     * A gzip or tar error in the middle of a blob is usually a corrupt blob: when the rest of the body shows
     * a digest mismatch, report that (it names the blob and what is wrong), with the first error attached.
     */
    private static IOException explain(IOException failure, VerifyingInputStream verified) {
        if (failure instanceof DigestMismatchException || failure instanceof BlobUnavailableException
                || failure instanceof java.io.InterruptedIOException) {
            return failure;
        }
        try {
            drain(verified);
        } catch (DigestMismatchException mismatch) {
            mismatch.addSuppressed(failure);
            return mismatch;
        } catch (IOException other) {
            failure.addSuppressed(other);
        }
        return failure;
    }

    private static void drain(InputStream in) throws IOException {
        byte[] buf = new byte[DRAIN_BUFFER];
        while (in.read(buf) >= 0) {
            // discard: only the hashing matters
        }
    }
}
