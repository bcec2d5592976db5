package dev.berth.puller.registry;

import dev.berth.oci.Digest;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;

/**
 * A blob body that survives broken connections: when a read fails (or the body ends before the expected
 * size), it reconnects with {@code Range: bytes=<position>-} and carries on where it stopped, so whatever
 * reads from it (a digest check, a decompressor, a tar reader) never notices. A registry that ignores the
 * range and sends the whole blob again is handled by skipping the bytes already delivered. Consecutive
 * failures without progress are bounded by the backoff's attempt count. A stalled body (nothing for
 * {@link BlobPuller#STALL}) ends in a socket read timeout and is resumed the same way.
 */
public final class ResumingBlobStream extends InputStream {
    private final RegistryClient client;
    private final String repository;
    private final Digest digest;
    private final long expectedSize;
    private final Backoff backoff;
    private final Listener listener;
    private InputStream current;
    private long position;
    private int failuresWithoutProgress;
    private boolean closed;

    /**
     * @param expectedSize the blob's size from its descriptor, or -1; a body that ends early is resumed
     */
    public ResumingBlobStream(
            RegistryClient client,
            String repository,
            Digest digest,
            long expectedSize,
            Backoff backoff,
            Listener listener) {
        this(client, repository, digest, expectedSize, 0, backoff, listener);
    }

    /**
     * @param startAt the first byte to deliver: the caller already has the bytes before it (a download kept
     *                from an earlier run), so the first request already asks with {@code Range}
     */
    public ResumingBlobStream(
            RegistryClient client,
            String repository,
            Digest digest,
            long expectedSize,
            long startAt,
            Backoff backoff,
            Listener listener) {
        this.position = startAt;
        this.client = client;
        this.repository = repository;
        this.digest = digest;
        this.expectedSize = expectedSize;
        this.backoff = backoff;
        this.listener = listener == null ? Listener.NONE : listener;
    }

    /** Bytes of the blob delivered so far. */
    public long position() {
        return position;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (true) {
            if (closed) {
                throw new IOException("stream closed");
            }
            if (expectedSize >= 0 && position >= expectedSize && current == null) {
                return -1; // everything was kept from before: nothing to ask for
            }
            try {
                if (current == null) {
                    current = open();
                }
                int n = current.read(b, off, len);
                if (n < 0) {
                    if (expectedSize >= 0 && position < expectedSize) {
                        throw new EOFException("body ended at byte " + position + " of " + expectedSize);
                    }
                    return -1;
                }
                position += n;
                failuresWithoutProgress = 0;
                listener.bytesRead(n);
                return n;
            } catch (InterruptedIOException e) {
                throw e;
            } catch (RegistryException e) {
                if (!e.isTransient()) {
                    throw e;
                }
                retryAfter(e);
            } catch (IOException e) {
                retryAfter(e);
            }
        }
    }

    private void retryAfter(IOException cause) throws IOException {
        closeCurrent();
        if (++failuresWithoutProgress > backoff.maxAttempts()) {
            throw new BlobUnavailableException(
                    "giving up on blob " + digest + " at byte " + position + " after " + backoff.maxAttempts()
                            + " retries: " + cause.getMessage(),
                    cause);
        }
        listener.resuming(position, failuresWithoutProgress, cause);
        backoff.sleep(failuresWithoutProgress);
    }

    private InputStream open() throws IOException {
        BlobResponse r = client.openBlob(repository, digest, position);
        InputStream body = r.body();
        if (r.offset() < position) {
            // The registry sent the blob from the start: skip what the reader already has (and has hashed).
            try {
                long toSkip = position - r.offset();
                byte[] buf = new byte[64 * 1024];
                while (toSkip > 0) {
                    int n = body.read(buf, 0, (int) Math.min(buf.length, toSkip));
                    if (n < 0) {
                        throw new EOFException("restarted body ended before byte " + position);
                    }
                    toSkip -= n;
                }
            } catch (IOException | RuntimeException e) {
                body.close();
                throw e;
            }
        }
        return body;
    }

    private void closeCurrent() {
        if (current != null) {
            try {
                current.close();
            } catch (IOException ignored) {
                // The connection is already broken; nothing more to learn from it.
            }
            current = null;
        }
    }

    @Override
    public void close() {
        closed = true;
        closeCurrent();
    }

    /** Progress and resumption events, for progress bars and metrics. */
    public interface Listener {
        Listener NONE = new Listener() {};

        default void bytesRead(long n) {}

        default void resuming(long position, int attempt, IOException cause) {}
    }
}
