package dev.berth.registry.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A thin HTTP/1.1 client for the distribution API, for black-box tests: one fluent {@link Call} per request,
 * no redirects followed (201/202 {@code Location} headers are asserted as sent), and responses that describe
 * themselves in assertion messages. Higher-level push and pull helpers build on it.
 *
 * <p>{@link HttpClient} sets {@code Content-Length} itself from the body publisher (it refuses the header):
 * a byte array sends its length, {@link BodyPublishers#noBody()} sends 0, and a publisher of unknown length
 * ({@code -1}) is sent with {@code Transfer-Encoding: chunked}.
 */
public final class RegistryHttp {
    static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final HttpClient client;
    private final Supplier<URI> base;
    private final String authorization;

    /** {@code base} is read on every request, so a registry restarted on another port is followed. */
    public RegistryHttp(Supplier<URI> base) {
        this(base, null);
    }

    /** Sends {@code authorization} (e.g. {@code Basic ...}) as the Authorization header of every request. */
    public RegistryHttp(Supplier<URI> base, String authorization) {
        this.base = base;
        this.authorization = authorization;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** A request to {@code target}: a path (with query) relative to the registry, or an absolute URL. */
    public Call call(String method, String target) {
        return new Call(method, target);
    }

    public Call get(String target) {
        return call("GET", target);
    }

    public Call head(String target) {
        return call("HEAD", target);
    }

    public Call post(String target) {
        return call("POST", target);
    }

    public Call put(String target) {
        return call("PUT", target);
    }

    public Call patch(String target) {
        return call("PATCH", target);
    }

    public Call delete(String target) {
        return call("DELETE", target);
    }

    // ---------------------------------------------------------------- higher-level helpers

    /** POST then PUT {@code ?digest=} with the whole blob; returns the PUT response (or the failed POST's). */
    public Response pushBlob(String name, byte[] content) {
        Response post = post("/v2/" + name + "/blobs/uploads/").send();
        if (post.status() != 202 || post.location() == null) {
            return post;
        }
        return put(post.location())
                .query("digest", Digests.sha256(content))
                .header("Content-Type", "application/octet-stream")
                .body(content)
                .send();
    }

    /**
     * POST, PATCH chunks with {@code Content-Range} (each sent with chunked transfer encoding when
     * {@code unknownLength}), then PUT {@code ?digest=} without a body; returns the final (or first failing)
     * response.
     */
    public Response pushBlobChunked(String name, byte[] content, int chunkSize, boolean unknownLength) {
        Response response = post("/v2/" + name + "/blobs/uploads/").send();
        if (response.status() != 202 || response.location() == null) {
            return response;
        }
        String location = response.location();
        for (int offset = 0; offset < content.length; offset += chunkSize) {
            int length = Math.min(chunkSize, content.length - offset);
            BodyPublisher body = BodyPublishers.ofByteArray(content, offset, length);
            if (unknownLength) {
                body = BodyPublishers.fromPublisher(body);
            }
            response = patch(location)
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", offset + "-" + (offset + length - 1))
                    .body(body)
                    .send();
            if (response.status() != 202 || response.location() == null) {
                return response;
            }
            location = response.location();
        }
        return put(location).query("digest", Digests.sha256(content)).send();
    }

    /** PUT a manifest (or index) under a tag or digest. */
    public Response putManifest(String name, String reference, String mediaType, byte[] content) {
        return put("/v2/" + name + "/manifests/" + reference)
                .header("Content-Type", mediaType)
                .body(content)
                .send();
    }

    // ---------------------------------------------------------------- request and response

    /** One request being built. */
    public final class Call {
        private final String method;
        private String target;
        private final List<String[]> headers = new ArrayList<>();
        private BodyPublisher body = BodyPublishers.noBody();
        private Duration timeout = DEFAULT_TIMEOUT;

        private Call(String method, String target) {
            this.method = method;
            this.target = target;
        }

        /** Appends a query parameter (URL-encoded), keeping any query the target already has. */
        public Call query(String name, String value) {
            String pair = URLEncoder.encode(name, StandardCharsets.UTF_8) + "="
                    + URLEncoder.encode(value, StandardCharsets.UTF_8);
            target = target + (target.contains("?") ? "&" : "?") + pair;
            return this;
        }

        public Call header(String name, String value) {
            headers.add(new String[] {name, value});
            return this;
        }

        public Call body(byte[] content) {
            this.body = BodyPublishers.ofByteArray(content);
            return this;
        }

        public Call body(BodyPublisher publisher) {
            this.body = publisher;
            return this;
        }

        public Call timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public URI uri() {
            return base.get().resolve(target);
        }

        private HttpRequest request() {
            HttpRequest.Builder builder =
                    HttpRequest.newBuilder(uri()).timeout(timeout).method(method, body);
            if (authorization != null) {
                builder.header("Authorization", authorization);
            }
            for (String[] h : headers) {
                builder.header(h[0], h[1]);
            }
            return builder.build();
        }

        /** Sends and reads the whole body. */
        public Response send() {
            try {
                return trySend();
            } catch (IOException e) {
                throw new UncheckedIOException(method + " " + uri() + " failed: " + e, e);
            }
        }

        /** Like {@link #send()}, but lets connection failures through as {@link IOException}. */
        public Response trySend() throws IOException {
            HttpRequest request = request();
            try {
                HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
                return new Response(method, request.uri(), response.statusCode(), response.headers(), response.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }

        /** Sends and hands back the body as a stream (for large blobs); the caller closes it. */
        public HttpResponse<InputStream> stream() throws IOException {
            try {
                return client.send(request(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /** A whole response. */
    public record Response(String method, URI uri, int status, HttpHeaders headers, byte[] body) {

        /** The first value of a header, or null. */
        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        public String location() {
            return header("Location");
        }

        /** The {@code Location} header reduced to path and query, as a client resolving it against the registry sees it. */
        public String relativeLocation() {
            String location = location();
            if (location == null || location.isEmpty()) {
                return location;
            }
            URI uri = URI.create(location);
            return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            return JSON.readTree(body);
        }

        /** The request and response, for assertion messages. */
        public String describe() {
            StringBuilder s = new StringBuilder();
            s.append(method).append(' ').append(uri.getRawPath());
            if (uri.getRawQuery() != null) {
                s.append('?').append(uri.getRawQuery());
            }
            s.append(" -> ").append(status);
            headers.map().forEach((k, v) -> {
                if (!k.equals(":status")) {
                    s.append("\n  ").append(k).append(": ").append(String.join(", ", v));
                }
            });
            if (body.length > 0) {
                String text = text();
                s.append("\n  body: ").append(text.length() > 600 ? text.substring(0, 600) + "..." : text);
            }
            return s.toString();
        }
    }

    /** Reads a response body to the end, hashing it; returns the digest and the byte count. */
    public static Digests.Hashed drain(InputStream in) throws IOException {
        try (DigestInputStream digesting = new DigestInputStream(in, Digests.newSha256())) {
            byte[] buffer = new byte[1 << 16];
            long total = 0;
            for (int n; (n = digesting.read(buffer)) != -1; ) {
                total += n;
            }
            return new Digests.Hashed(
                    Digests.format(digesting.getMessageDigest().digest()), total);
        }
    }
}
