package dev.berth.puller.pull;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.io.DigestMismatchException;
import dev.berth.oci.io.VerifyingInputStream;
import dev.berth.puller.registry.Backoff;
import dev.berth.puller.registry.BlobUnavailableException;
import dev.berth.puller.registry.RegistryClient;
import dev.berth.puller.registry.ResumingBlobStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One layer's single pass:
 *
 * <pre>
 * kept bytes ++ HTTP body from there (Range; copied to the kept file as it arrives)
 *   -> digest + size check -> gunzip/unzstd -> DiffID hash -> tar apply -> diff/
 * </pre>
 *
 * The compressed bytes are appended to the layer's partial file as they arrive, so a pull killed mid-layer
 * leaves a prefix of the blob, and the next one asks only for the rest. The kept prefix is read again rather
 * than trusted: it flows through the same digest check and is applied again into a fresh directory (applying
 * is fast next to downloading, and a digest state saved across a crash could not be checked). The compressed
 * digest is checked by the verifying stream at end of body, the DiffID once the tar is read to its end; either
 * mismatch throws, and the caller discards the directory.
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
     * @param partial the layer's kept compressed bytes (a prefix of the blob, maybe empty or absent); what
     *                arrives is appended to it
     * @param bytes   counts compressed bytes as they arrive from the network
     */
    void fetch(
            int index,
            Descriptor layer,
            Digest diffId,
            Path diffDir,
            Path partial,
            PullListener listener,
            AtomicLong bytes)
            throws IOException {
        long kept = keptPrefix(partial, layer.size());
        if (kept > 0) {
            listener.layerProgress(index, kept);
        }
        ResumingBlobStream body = new ResumingBlobStream(
                client, repository, layer.digest(), layer.size(), kept, backoff, new ResumingBlobStream.Listener() {
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
        try (body;
                FileChannel keep = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                InputStream before = Files.newInputStream(partial)) {
            keep.position(kept);
            // The kept file holds exactly `kept` bytes until the network part is read, so `before` ends there.
            InputStream whole = new SequenceInputStream(before, new Tee(body, keep));
            // The verifying stream sits above the resuming one, so its hash state simply continues across
            // reconnects: every byte is hashed exactly once, in order.
            VerifyingInputStream verified = new VerifyingInputStream(whole, layer.digest(), layer.size());
            InputStream tar = Decompression.wrap(verified, layer.mediaType());
            VerifyingInputStream diff = VerifyingInputStream.hashing(tar, diffId.algorithm());
            try {
                unpacker.apply(diff, diffDir);
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
                throw new DigestMismatchException(
                        diffId,
                        "uncompressed layer has DiffID " + actualDiffId + " but the config's rootfs.diff_ids says "
                                + diffId);
            }
        }
    }

    /** How many kept bytes to resume from: none when the file is missing or longer than the blob itself. */
    private static long keptPrefix(Path partial, long blobSize) throws IOException {
        long kept = Files.exists(partial) ? Files.size(partial) : 0;
        if (blobSize >= 0 && kept > blobSize) {
            Files.delete(partial);
            return 0;
        }
        return kept;
    }

    /** Copies what the network delivers to the kept file before handing it on. */
    private static final class Tee extends FilterInputStream {
        private final FileChannel keep;

        Tee(InputStream in, FileChannel keep) {
            super(in);
            this.keep = keep;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                ByteBuffer chunk = ByteBuffer.wrap(b, off, n);
                while (chunk.hasRemaining()) {
                    keep.write(chunk);
                }
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[(int) Math.min(Math.max(n, 0), DRAIN_BUFFER)];
            return Math.max(read(buf, 0, buf.length), 0);
        }
    }

    /**
     * A gzip or tar error in the middle of a blob is usually a corrupt blob: when the rest of the body shows
     * a digest mismatch, report that (it names the blob and what is wrong), with the first error attached.
     */
    private static IOException explain(IOException failure, VerifyingInputStream verified) {
        if (failure instanceof DigestMismatchException
                || failure instanceof BlobUnavailableException
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
