package dev.berth.puller.registry;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * One kind of HTTP exchange with a registry (pull a manifest, open a blob). Implementations are small
 * immutable values; {@link RegistryClient} adds authentication, redirects and error parsing around them.
 *
 * @param <T> what a successful exchange yields
 */
interface RegistryEndpoint<T> {

    /** The repository the request is scoped to, for token scopes. */
    String repository();

    /** The request URI below {@code <scheme>://<host>}. */
    URI uri(String baseUrl);

    /** Adds endpoint-specific headers (Accept, Range). */
    void addHeaders(Map<String, String> headers);

    /** How long a read (of the response head or of the body) may block, given the configured read timeout. */
    default Duration readTimeout(Duration configured) {
        return configured;
    }

    /** True for the statuses {@link #handle} understands; anything else becomes a {@link RegistryException}. */
    boolean accepts(int status);

    /** Turns an accepted response into a result; it owns the body from here on. */
    T handle(HttpTransport.Response response) throws IOException;

    /** For error messages, e.g. "pull manifest library/busybox:latest". */
    String describe();
}
