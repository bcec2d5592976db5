package dev.berth.registry.upload;

import dev.berth.oci.ErrorCode;
import dev.berth.storage.FileWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.springframework.core.io.buffer.DataBuffer;

/**
 * One request's hold on an upload: the driver's writer positioned at the end of the bytes received so far,
 * plus the running digest over exactly those bytes when its saved state could be found. Bytes are hashed as
 * they are written, through one reusable scratch array, so memory stays bounded whatever the body size.
 *
 * <p>The body is delivered serially, but a cancelled request ends its hold from another thread while a write
 * may still be running; every operation therefore synchronises on this object, so the state saved for the
 * next request always describes exactly the bytes stored.
 */
public final class UploadWriter {
    private static final int SCRATCH = 64 * 1024;

    private final UploadSession session;
    private final FileWriter writer;
    private final long startSize;
    private final long maxSize;
    private RunningDigest digest;
    private byte[] scratch;
    private boolean finished;

    UploadWriter(UploadSession session, FileWriter writer, RunningDigest digest, long maxSize) {
        this.session = session;
        this.writer = writer;
        this.startSize = writer.size();
        this.digest = digest;
        this.maxSize = maxSize;
    }

    public UploadSession session() {
        return session;
    }

    /** Bytes in the upload when this request took hold of it. */
    public long startSize() {
        return startSize;
    }

    /** Bytes in the upload now. */
    public long size() {
        return writer.size();
    }

    /** Bytes this request has added. */
    public long written() {
        return writer.size() - startSize;
    }

    /** The running digest, or null when the state of the prefix was lost and only a re-read can tell. */
    RunningDigest digest() {
        return digest;
    }

    FileWriter writer() {
        return writer;
    }

    /** Appends the readable bytes of {@code buffer} (which the caller still owns and releases). */
    public synchronized void write(DataBuffer buffer) throws IOException {
        if (finished) {
            throw new IOException("upload request already ended");
        }
        int length = buffer.readableByteCount();
        if (length == 0) {
            return;
        }
        if (writer.size() + length > maxSize) {
            throw new UploadException(
                    ErrorCode.SIZE_EXCEEDED, "blob exceeds the maximum size of " + maxSize + " bytes", null);
        }
        if (scratch == null) {
            scratch = new byte[SCRATCH];
        }
        try (DataBuffer.ByteBufferIterator it = buffer.readableByteBuffers()) {
            while (it.hasNext()) {
                ByteBuffer source = it.next();
                while (source.hasRemaining()) {
                    int n = Math.min(source.remaining(), scratch.length);
                    source.get(scratch, 0, n);
                    writeFully(n);
                }
            }
        }
    }

    private void writeFully(int n) throws IOException {
        try {
            writer.write(ByteBuffer.wrap(scratch, 0, n));
        } catch (IOException | RuntimeException e) {
            // How much of the failed write landed is unknown: the digest no longer describes the stored prefix.
            digest = null;
            throw e;
        }
        if (digest != null) {
            digest.update(scratch, 0, n);
        }
    }

    /**
     * The digest of all bytes in the upload, when this request's running digest covers them (an upload
     * started or continued here with its digest state); empty when only the final re-read can tell.
     */
    public synchronized java.util.Optional<dev.berth.oci.Digest> currentDigest() {
        return digest == null ? java.util.Optional.empty() : java.util.Optional.of(digest.current());
    }

    /** True once the writer was committed, cancelled or suspended. */
    synchronized boolean finished() {
        return finished;
    }

    synchronized void markFinished() {
        finished = true;
    }
}
