package dev.berth.unionfs.tar;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads the caller's stream on a second thread, a few chunks ahead of the applier.
 *
 * <p>Why: the caller's stream decompresses (and hashes, and reads the network) on whatever thread
 * reads it. Reading it here lets that work overlap with the applier's system calls, as gzip runs
 * beside tar in {@code tar -xzf}. Order and content are unchanged; an exception from the stream is
 * rethrown to the applier at the point where the data would have been. Closing this stops the thread
 * (after its current read returns) but does not close the caller's stream.
 */
final class ReadAhead extends InputStream {

    private static final int CHUNK = 256 * 1024;
    private static final int DEPTH = 8;

    /** {@code len} bytes of {@code b}; chunks of the full size are recycled once read. */
    private record Chunk(byte[] b, int len) {}

    private static final Chunk END = new Chunk(new byte[0], 0);

    private final BlockingQueue<Chunk> chunks = new ArrayBlockingQueue<>(DEPTH);
    /** Read chunks handed back for reuse, so that the pump does not allocate and zero 256 KiB per read. */
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(DEPTH + 2);

    private final Thread reader;
    private volatile boolean closed;
    private volatile IOException failure;
    private Chunk current;
    private int pos;

    ReadAhead(InputStream in) {
        reader = new Thread(() -> pump(in), "berth-layer-read-ahead");
        reader.setDaemon(true);
        reader.start();
    }

    private void pump(InputStream in) {
        try {
            while (!closed) {
                byte[] b = free.poll();
                if (b == null) {
                    b = new byte[CHUNK];
                }
                int n = in.readNBytes(b, 0, b.length);
                if (n == 0) {
                    break;
                }
                if (!offer(new Chunk(b, n)) || n < b.length) {
                    break;
                }
            }
        } catch (IOException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = new IOException(e);
        }
        offer(END);
    }

    /** Waits for room, giving up when the consumer has gone away. */
    private boolean offer(Chunk c) {
        try {
            while (!closed) {
                if (chunks.offer(c, 100, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private boolean fill() throws IOException {
        if (current != null && pos < current.len()) {
            return true;
        }
        if (current == END) {
            return false;
        }
        if (current != null && current.b().length == CHUNK) {
            free.offer(current.b());
        }
        try {
            current = chunks.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading the layer");
        }
        pos = 0;
        if (current == END) {
            if (failure != null) {
                throw failure;
            }
            return false;
        }
        return true;
    }

    @Override
    public int read() throws IOException {
        return fill() ? current.b()[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, current.len() - pos);
        System.arraycopy(current.b(), pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public void close() {
        closed = true;
        chunks.clear();
        free.clear();
    }
}
