package dev.berth.puller.registry;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The little HTTP that {@link RegistryClient} needs: one blocking request in, status, headers and a streamed
 * body out. No redirects, authentication, caching or cookies happen underneath: the client does those
 * itself. Implementations are thread-safe. See {@link HttpUrlConnectionTransport} for the one in use.
 */
interface HttpTransport {

    /**
     * Sends the request and returns once the status line and headers have arrived. A status is never an
     * exception (4xx/5xx included); the caller must close the response's body.
     *
     * @throws TransportTimeoutException when connecting or waiting for the response took too long
     * @throws java.io.InterruptedIOException when the calling thread is interrupted
     */
    Response send(Request request) throws IOException;

    /**
     * @param method      GET or POST
     * @param uri         absolute http or https URI
     * @param headers     request headers (one value each)
     * @param body        a small request body, or null for none
     * @param readTimeout how long any single read may block, for the head and each read of the body; null for
     *                    the transport's default
     */
    record Request(String method, URI uri, Map<String, String> headers, byte[] body, Duration readTimeout) {
        public Request {
            Objects.requireNonNull(method);
            Objects.requireNonNull(uri);
            headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        }

        public static Request get(URI uri, Map<String, String> headers, Duration readTimeout) {
            return new Request("GET", uri, headers, null, readTimeout);
        }
    }

    /**
     * A response head and its body. Reading the body to its end lets the connection be reused; closing it
     * earlier gives the connection up.
     *
     * @param headers header names case-insensitive, values in the order received
     */
    record Response(int status, Map<String, List<String>> headers, InputStream body) implements Closeable {
        public Response {
            TreeMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            headers.forEach((k, v) ->
                    copy.computeIfAbsent(k, x -> new java.util.ArrayList<>()).addAll(v));
            copy.replaceAll((k, v) -> List.copyOf(v));
            headers = Collections.unmodifiableMap(copy);
        }

        public Optional<String> firstHeader(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
        }

        public List<String> allHeaders(String name) {
            return headers.getOrDefault(name, List.of());
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }
}
