package dev.berth.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An append-only writer for one object. Bytes written are invisible at the target path until
 * {@link #commit()}. {@link #close()} without commit keeps the unfinished content so that a later
 * {@link StorageDriver#writer(String, boolean) writer(path, true)} can continue it; {@link #cancel()}
 * discards it.
 */
public interface FileWriter extends Closeable {

    /** Appends all remaining bytes of {@code buffer}. */
    void write(ByteBuffer buffer) throws IOException;

    default void write(byte[] bytes, int offset, int length) throws IOException {
        write(ByteBuffer.wrap(bytes, offset, length));
    }

    /** Bytes written so far, including those from earlier writers this one continues. */
    long size();

    /** Publishes the content at the target path atomically. The writer is closed afterwards. */
    void commit() throws IOException;

    /** Discards the unfinished content. The writer is closed afterwards. */
    void cancel() throws IOException;

    /** Persists the content written so far for a later append; idempotent after commit or cancel. */
    @Override
    void close() throws IOException;
}
