package dev.berth.registry.upload;

import dev.berth.oci.ErrorCode;
import dev.berth.storage.FileWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.springframework.core.io.buffer.DataBuffer;

/**
 * One request's hold on an upload: the driver's writer positioned at the end of the bytes received so far,
 * plus the running digest over exactly those bytes when its saved state could be found. Bytes are hashed as
 * they are written, through one reusable array, so memory stays bounded whatever the body size.
 *
 * <p>The body arrives in small buffers (the HTTP decoder's slices, a few KiB each). They are gathered in the
 * array and written in {@link #BLOCK}-sized pieces that end on {@link #BLOCK} boundaries of the upload: a push
 * of 100 MiB took 12,800 unaligned 8 KiB writes before, and the kernel zeroed and re-dirtied the page each of
 * them started in. {@link #flush} writes what is left; {@link UploadSessions} calls it before the writer is
 * closed or committed, so no byte is acknowledged before it reached the driver.
 *
 * <p>The body is delivered serially, but a cancelled request ends its hold from another thread while a write
 * may still be running; every operation therefore synchronises on this object, so the state saved for the
 * next request always describes exactly the bytes stored.
 */
public final class UploadWriter {
    /** Bytes gathered before they are hashed and written; a multiple of the page size. */
    static final int BLOCK = 256 * 1024;

    private final UploadSession session;
    private final FileWriter writer;
    private final long startSize;
    private final long maxSize;
    private RunningDigest digest;
    private byte[] block;
    /** Bytes in {@link #block} not yet written; they count in {@link #size()}. */
    private int gathered;

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

    /** Bytes in the upload now, including those gathered but not yet written. */
    public synchronized long size() {
        return writer.size() + gathered;
    }

    /** Bytes this request has added. */
    public synchronized long written() {
        return size() - startSize;
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
        if (size() + length > maxSize) {
            throw new UploadException(
                    ErrorCode.SIZE_EXCEEDED, "blob exceeds the maximum size of " + maxSize + " bytes", null);
        }
        if (block == null) {
            block = new byte[BLOCK];
        }
        try (DataBuffer.ByteBufferIterator it = buffer.readableByteBuffers()) {
            while (it.hasNext()) {
                ByteBuffer source = it.next();
                while (source.hasRemaining()) {
                    // Fill up to the next BLOCK boundary of the upload, so every full write is aligned.
                    int room = BLOCK - (int) (writer.size() % BLOCK) - gathered;
                    int n = Math.min(source.remaining(), room);
                    source.get(block, gathered, n);
                    if (digest != null) {
                        digest.update(block, gathered, n);
                    }
                    gathered += n;
                    if (n == room) {
                        flush();
                    }
                }
            }
        }
    }

    /** Writes the gathered bytes to the driver. */
    synchronized void flush() throws IOException {
        if (gathered == 0) {
            return;
        }
        int n = gathered;
        gathered = 0;
        try {
            writer.write(ByteBuffer.wrap(block, 0, n));
        } catch (IOException | RuntimeException e) {
            // How much of the failed write landed is unknown: the digest no longer describes the stored prefix.
            digest = null;
            throw e;
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
