package dev.berth.registry.http.handler;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.ErrorCode;
import dev.berth.oci.InvalidDigestException;
import dev.berth.oci.MediaTypes;
import dev.berth.oci.OciJson;
import dev.berth.registry.http.RegistryException;
import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.manifest.ReferrersIndex;
import dev.berth.registry.storage.Blocking;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v2/<name>/referrers/<digest>}: an image index of the manifests whose {@code subject} is the
 * digest. Never a 404 for a well-formed digest (clients read a 404 as "no referrers API" and fall back to the
 * tag schema): an unknown subject or repository has an empty list.
 */
@Component
public class ReferrersHandler {
    static final String OCI_FILTERS_APPLIED = "OCI-Filters-Applied";
    /** Page size when {@code n} is absent, and the largest page; further pages follow the Link header. */
    static final int MAX_PAGE = 1_000;

    private final ReferrersIndex referrers;
    private final Blocking blocking;

    public ReferrersHandler(ReferrersIndex referrers, Blocking blocking) {
        this.referrers = referrers;
        this.blocking = blocking;
    }

    public Mono<ServerResponse> list(ServerRequest request, RegistryRoute route) {
        Pagination page = Pagination.of(request, MAX_PAGE);
        Digest after = cursor(page.last());
        String artifactType =
                request.queryParam("artifactType").filter(s -> !s.isEmpty()).orElse(null);
        Predicate<Descriptor> filter = artifactType == null ? d -> true : d -> artifactType.equals(d.artifactType());
        return blocking.call(() -> referrers.list(route.name(), route.digest(), filter, after, page.limit()))
                .flatMap(result -> {
                    Map<String, Object> index = new LinkedHashMap<>();
                    index.put("schemaVersion", 2);
                    index.put("mediaType", MediaTypes.OCI_INDEX);
                    index.put("manifests", result.referrers());
                    byte[] body = OciJson.mapper().writeValueAsBytes(index);
                    ServerResponse.BodyBuilder response =
                            ServerResponse.ok().contentType(MediaType.parseMediaType(MediaTypes.OCI_INDEX));
                    if (artifactType != null) {
                        response.header(OCI_FILTERS_APPLIED, "artifactType");
                    }
                    if (result.more() && !result.referrers().isEmpty()) {
                        Map<String, String> extra =
                                artifactType == null ? Map.of() : Map.of("artifactType", artifactType);
                        String last = result.referrers()
                                .get(result.referrers().size() - 1)
                                .digest()
                                .toString();
                        response.header(
                                HttpHeaders.LINK,
                                page.nextLink("/v2/" + route.name() + "/referrers/" + route.digest(), last, extra));
                    }
                    return response.bodyValue(body);
                });
    }

    /** The {@code last} of a referrers page is the digest of the last referrer returned. */
    private static Digest cursor(String last) {
        if (last == null) {
            return null;
        }
        try {
            return Digest.parse(last);
        } catch (InvalidDigestException e) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "last must be a digest", last);
        }
    }
}
