package dev.berth.registry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The one request helper of the HTTP-level tests: sends, reads the body whole, and never throws checked. */
public final class TestHttp {
    private TestHttp() {}

    /** Sends {@code body} ({@code null}: none) to {@code uri}; headers as name, value pairs. */
    public static Resp send(
            HttpClient client, String method, URI uri, byte[] body, Duration timeout, String... headers) {
        return send(
                client,
                method,
                uri,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body),
                timeout,
                headers);
    }

    public static Resp send(
            HttpClient client,
            String method,
            URI uri,
            HttpRequest.BodyPublisher body,
            Duration timeout,
            String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout).method(method, body);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(client, b.build());
    }

    public static Resp send(HttpClient client, HttpRequest request) {
        try {
            HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return new Resp(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
