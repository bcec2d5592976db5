package dev.berth.registry.http.handler;

import dev.berth.oci.ErrorCode;
import dev.berth.registry.http.RegistryException;
import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.manifest.Catalog;
import dev.berth.registry.manifest.TagStore;
import dev.berth.registry.storage.Blocking;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/** {@code GET /v2/<name>/tags/list}: the repository's tags in ASCII order, paginated with {@code n}/{@code last}. */
@Component
public class TagHandler {
    /** Largest page; without {@code n} a repository with fewer tags gets them all in one response. */
    static final int MAX_PAGE = 10_000;

    private final TagStore tags;
    private final Catalog catalog;
    private final Blocking blocking;

    public TagHandler(TagStore tags, Catalog catalog, Blocking blocking) {
        this.tags = tags;
        this.catalog = catalog;
        this.blocking = blocking;
    }

    public Mono<ServerResponse> list(ServerRequest request, RegistryRoute route) {
        Pagination page = Pagination.of(request, MAX_PAGE);
        return blocking.call(() -> {
                    List<String> all = tags.list(route.name());
                    if (all.isEmpty() && !catalog.exists(route.name())) {
                        throw new RegistryException(ErrorCode.NAME_UNKNOWN, null, Map.of("name", route.name()));
                    }
                    return all;
                })
                .flatMap(all -> {
                    List<String> result = new ArrayList<>();
                    boolean more = false;
                    for (String tag : all) {
                        if (page.last() != null && tag.compareTo(page.last()) <= 0) {
                            continue;
                        }
                        if (result.size() == page.limit()) {
                            more = true;
                            break;
                        }
                        result.add(tag);
                    }
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("name", route.name());
                    body.put("tags", result);
                    ServerResponse.BodyBuilder response = ServerResponse.ok().contentType(MediaType.APPLICATION_JSON);
                    // n=0 asks for nothing: the spec forbids a Link then, and `more` is never set for it.
                    if (more && !result.isEmpty()) {
                        response.header(
                                HttpHeaders.LINK,
                                page.nextLink(
                                        "/v2/" + route.name() + "/tags/list", result.get(result.size() - 1), Map.of()));
                    }
                    return response.bodyValue(body);
                });
    }
}
