package dev.berth.registry.http.handler;

import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.manifest.Catalog;
import dev.berth.registry.security.RepositoryVisibility;
import dev.berth.registry.storage.Blocking;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v2/_catalog}: repositories holding manifests that the caller may pull ({@link RepositoryVisibility}),
 * in ASCII order, paginated with {@code n}/{@code last}.
 */
@Component
public class CatalogHandler {
    /** Largest page, also the page size when {@code n} is absent; clients follow the Link header. */
    static final int MAX_PAGE = 1_000;

    private final Catalog catalog;
    private final Blocking blocking;
    /** Defined with the web security configuration: absent only where no request is served (the gc command). */
    private final ObjectProvider<RepositoryVisibility> visibility;

    public CatalogHandler(Catalog catalog, Blocking blocking, ObjectProvider<RepositoryVisibility> visibility) {
        this.catalog = catalog;
        this.blocking = blocking;
        this.visibility = visibility;
    }

    public Mono<ServerResponse> list(ServerRequest request, RegistryRoute route) {
        Pagination page = Pagination.of(request, MAX_PAGE);
        return visibility
                .getObject()
                .forExchange(request.exchange())
                .flatMap(visible -> blocking.call(() -> catalog.list(page.last(), page.limit(), visible)))
                .flatMap(result -> {
                    ServerResponse.BodyBuilder response = ServerResponse.ok().contentType(MediaType.APPLICATION_JSON);
                    if (result.more() && !result.names().isEmpty()) {
                        response.header(
                                HttpHeaders.LINK,
                                page.nextLink(
                                        "/v2/_catalog",
                                        result.names().get(result.names().size() - 1),
                                        Map.of()));
                    }
                    return response.bodyValue(Map.of("repositories", result.names()));
                });
    }
}
