package dev.berth.puller.registry;

import javax.net.ssl.SSLException;

/** A TLS handshake was answered in plain HTTP: the registry speaks HTTP, so HTTPS cannot work there. */
public final class PlainHttpException extends SSLException {
    PlainHttpException(String message, Throwable cause) {
        super(message, cause);
    }
}
