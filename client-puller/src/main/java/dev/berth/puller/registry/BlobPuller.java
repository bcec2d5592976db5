package dev.berth.puller.registry;

import dev.berth.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /v2/<name>/blobs/<digest>}, optionally from an offset with {@code Range: bytes=<offset>-}. A
 * 206 must carry a {@code Content-Range} that starts at the offset; a 200 means the registry ignored the range.
 */
final class BlobPuller implements RegistryEndpoint<BlobResponse> {
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final String repository;
    private final Digest digest;
    private final long offset;

    BlobPuller(String repository, Digest digest, long offset) {
        this.repository = repository;
        this.digest = digest;
        this.offset = offset;
    }

    @Override
    public String repository() {
        return repository;
    }

    @Override
    public URI uri(String baseUrl) {
        return URI.create(baseUrl + "/v2/" + repository + "/blobs/" + digest);
    }

    @Override
    public void addHeaders(HttpRequest.Builder builder) {
        if (offset > 0) {
            builder.header("Range", "bytes=" + offset + "-");
        }
    }

    @Override
    public boolean accepts(int status) {
        return status == 200 || (status == 206 && offset > 0);
    }

    @Override
    public BlobResponse handle(HttpResponse<InputStream> response) throws IOException {
        long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (response.statusCode() == 200) {
            return new BlobResponse(response.body(), 0, length);
        }
        String range = response.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(range.trim());
        if (!m.matches() || Long.parseLong(m.group(1)) != offset) {
            response.body().close();
            throw new IOException(describe() + ": 206 with Content-Range '" + range + "' does not start at " + offset);
        }
        return new BlobResponse(response.body(), offset, length);
    }

    @Override
    public String describe() {
        return "pull blob " + repository + "@" + digest + (offset > 0 ? " from byte " + offset : "");
    }
}
