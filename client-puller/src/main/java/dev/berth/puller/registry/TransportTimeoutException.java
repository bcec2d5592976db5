package dev.berth.puller.registry;

import java.io.IOException;

/**
 * Connecting, or waiting for a response or the next bytes of a body, took longer than allowed. A plain
 * {@link IOException} on purpose: the JDK's {@link java.net.SocketTimeoutException} is an
 * {@link java.io.InterruptedIOException}, which the puller reserves for a cancelled thread and never retries,
 * while a timeout is exactly what resuming and retrying are for.
 */
public final class TransportTimeoutException extends IOException {
    public TransportTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
