package dev.berth.puller.registry;

import dev.berth.oci.Digest;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /v2/<name>/blobs/<digest>}, optionally from an offset with {@code Range: bytes=<offset>-}. A
 * 206 must carry a {@code Content-Range} that starts at the offset; a 200 means the registry ignored the range.
 */
final class BlobPuller implements RegistryEndpoint<BlobResponse> {
    /**
     * A blob response that delivers nothing for this long (head or body) counts as a broken connection, and
     * {@link ResumingBlobStream} reconnects. It is the socket read timeout of blob requests: one timeout
     * covers the head and every body read in HttpURLConnection. (No watchdog thread closing stalled bodies,
     * as with the JDK HttpClient: the JDK's keep-alive stream takes the read lock in close(), so a close from
     * another thread would wait for the very read it should end.)
     */
    static final Duration STALL = Duration.ofSeconds(Long.getLong("berth.pull.stallSeconds", 30));

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
    public void addHeaders(Map<String, String> headers) {
        if (offset > 0) {
            headers.put("Range", "bytes=" + offset + "-");
        }
    }

    @Override
    public Duration readTimeout(Duration configured) {
        return configured.compareTo(STALL) < 0 ? configured : STALL;
    }

    @Override
    public boolean accepts(int status) {
        return status == 200 || (status == 206 && offset > 0);
    }

    @Override
    public BlobResponse handle(HttpTransport.Response response) throws IOException {
        long length = response.firstHeader("Content-Length")
                .map(BlobPuller::parseLength)
                .orElse(-1L);
        if (response.status() == 200) {
            return new BlobResponse(response.body(), 0, length);
        }
        String range = response.firstHeader("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(range.trim());
        if (!m.matches() || Long.parseLong(m.group(1)) != offset) {
            response.body().close();
            throw new IOException(describe() + ": 206 with Content-Range '" + range + "' does not start at " + offset);
        }
        return new BlobResponse(response.body(), offset, length);
    }

    private static long parseLength(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public String describe() {
        return "pull blob " + repository + "@" + digest + (offset > 0 ? " from byte " + offset : "");
    }
}
