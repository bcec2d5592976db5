package dev.berth.registry.http.handler;

import dev.berth.oci.ErrorCode;
import dev.berth.registry.http.RegistryException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.springframework.web.reactive.function.server.ServerRequest;

/**
 * The {@code n} and {@code last} query parameters shared by the tag list, the catalog and the referrers API,
 * and the RFC 5988 {@code Link} header that points at the next page.
 *
 * @param limit how many entries to return (already capped)
 * @param last  return entries strictly after this one; null for the first page
 */
record Pagination(int limit, String last) {

    /**
     * Reads {@code n} and {@code last}. Without {@code n} the page holds up to {@code max} entries; a larger
     * {@code n} is capped to {@code max} (the spec allows fewer results when a Link header follows). A
     * non-numeric or negative {@code n} is a 400 PAGINATION_NUMBER_INVALID.
     */
    static Pagination of(ServerRequest request, int max) {
        Optional<String> n = request.queryParam("n");
        int limit = max;
        if (n.isPresent()) {
            try {
                long value = Long.parseLong(n.get().trim());
                if (value < 0) {
                    throw invalid(n.get());
                }
                limit = (int) Math.min(value, max);
            } catch (NumberFormatException e) {
                throw invalid(n.get());
            }
        }
        String last = request.queryParam("last").filter(s -> !s.isEmpty()).orElse(null);
        return new Pagination(limit, last);
    }

    /**
     * {@code <path?n=..&last=..&extra..>; rel="next"}: the same request, resuming after {@code lastReturned}.
     */
    String nextLink(String path, String lastReturned, Map<String, String> extra) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("n", Integer.toString(limit));
        query.put("last", lastReturned);
        query.putAll(extra);
        StringBuilder link = new StringBuilder("<").append(path);
        char sep = '?';
        for (Map.Entry<String, String> e : query.entrySet()) {
            link.append(sep)
                    .append(e.getKey())
                    .append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        return link.append(">; rel=\"next\"").toString();
    }

    private static RegistryException invalid(String n) {
        return new RegistryException(ErrorCode.PAGINATION_NUMBER_INVALID, "n must be a non-negative integer", n);
    }
}
