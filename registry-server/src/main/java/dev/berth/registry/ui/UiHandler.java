package dev.berth.registry.ui;

import dev.berth.oci.Names;
import dev.berth.registry.maintenance.ReadOnlyMode;
import dev.berth.registry.security.AuthProperties;
import dev.berth.registry.security.UiAccess;
import dev.berth.registry.storage.Blocking;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The web UI's JSON endpoints under {@code /ui/api/}. Each answers only what the caller may pull ({@link UiAccess});
 * a repository the caller may not pull is answered like one that does not exist. Lists are paged; storage is
 * read on the storage pool ({@link Blocking}).
 *
 * <ul>
 *   <li>{@code GET session}: auth mode, the caller, what the caller may administer, how to get tokens.</li>
 *   <li>{@code GET repositories?q=&last=&n=}: repositories with tag count, size and last push; {@code next}
 *       is the {@code last} of the next page.</li>
 *   <li>{@code GET tags?repository=&q=&sort=name|pushed&order=asc|desc&page=&n=}: a page of tags with digest,
 *       size, platforms, created and pushed times.</li>
 *   <li>{@code GET manifest?repository=&reference=}: see {@link ManifestDetail}.</li>
 * </ul>
 */
final class UiHandler {
    static final int DEFAULT_PAGE = 25;
    static final int MAX_PAGE = 100;
    /** Repository summaries read in parallel for one page (each is a few storage listings). */
    static final int SUMMARIES_AT_ONCE = 8;

    private final UiAccess access;
    private final AuthProperties auth;
    private final VisibleRepositories visible;
    private final RepositoryBrowser browser;
    private final Blocking blocking;
    private final ReadOnlyMode readOnly;

    UiHandler(
            UiAccess access,
            AuthProperties auth,
            VisibleRepositories visible,
            RepositoryBrowser browser,
            Blocking blocking,
            ReadOnlyMode readOnly) {
        this.access = access;
        this.auth = auth;
        this.visible = visible;
        this.browser = browser;
        this.blocking = blocking;
        this.readOnly = readOnly;
    }

    Mono<ServerResponse> session(ServerRequest request) {
        String user = UiAccess.user(request.exchange());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("mode", auth.getMode().name().toLowerCase(java.util.Locale.ROOT));
        body.put("user", user);
        body.put("admin", access.isAdmin(user));
        body.put("readOnly", readOnly.isOn());
        if (auth.getMode() == AuthProperties.AuthMode.TOKEN) {
            AuthProperties.IssuerEndpoint issuer = auth.getToken().getIssuerEndpoint();
            body.put("tokenEndpoint", issuer.isEnabled() ? issuer.getPath() : null);
            body.put("service", auth.getToken().getService());
        }
        return json(HttpStatus.OK, body);
    }

    Mono<ServerResponse> repositories(ServerRequest request) {
        String user = UiAccess.user(request.exchange());
        String query = request.queryParam("q")
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .orElse(null);
        String last = request.queryParam("last").filter(s -> !s.isEmpty()).orElse(null);
        int limit = pageSize(request);
        return blocking.call(() -> visible.page(user, query, last, limit))
                .flatMap(page -> Flux.fromIterable(page.names())
                        .flatMapSequential(name -> blocking.call(() -> browser.summary(name)), SUMMARIES_AT_ONCE)
                        .collectList()
                        .flatMap(rows -> {
                            Map<String, Object> body = new LinkedHashMap<>();
                            body.put("repositories", rows);
                            body.put(
                                    "next",
                                    page.more() && !rows.isEmpty()
                                            ? rows.get(rows.size() - 1).name()
                                            : null);
                            return json(HttpStatus.OK, body);
                        }));
    }

    Mono<ServerResponse> tags(ServerRequest request) {
        String user = UiAccess.user(request.exchange());
        Optional<String> repository = allowedRepository(request, user);
        if (repository.isEmpty()) {
            return notFound();
        }
        String filter = request.queryParam("q")
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .orElse(null);
        RepositoryBrowser.TagOrder order =
                request.queryParam("sort").filter("pushed"::equals).isPresent()
                        ? RepositoryBrowser.TagOrder.PUSHED
                        : RepositoryBrowser.TagOrder.NAME;
        boolean descending = request.queryParam("order").filter("desc"::equals).isPresent();
        int page = Math.max(0, intParam(request, "page", 0));
        int size = pageSize(request);
        return blocking.call(() -> browser.tags(repository.get(), filter, order, descending, page, size))
                .flatMap(tags -> {
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("repository", tags.repository());
                    body.put("total", tags.total());
                    body.put("page", tags.page());
                    body.put("pageSize", tags.pageSize());
                    body.put("canDelete", access.mayDelete(user, repository.get()));
                    body.put("tags", tags.tags());
                    return json(HttpStatus.OK, body);
                });
    }

    Mono<ServerResponse> manifest(ServerRequest request) {
        String user = UiAccess.user(request.exchange());
        Optional<String> repository = allowedRepository(request, user);
        String reference = request.queryParam("reference").orElse("");
        if (repository.isEmpty()) {
            return notFound();
        }
        if (!Names.isReference(reference)) {
            return json(HttpStatus.BAD_REQUEST, Map.of("error", "invalid tag or digest"));
        }
        String name = repository.get();
        return blocking.call(() -> detail(name, reference, access.mayDelete(user, name)))
                .flatMap(body -> json(HttpStatus.OK, body))
                .switchIfEmpty(Mono.defer(() -> json(HttpStatus.NOT_FOUND, Map.of("error", "manifest not found"))));
    }

    private Map<String, Object> detail(String name, String reference, boolean mayDelete) throws IOException {
        var manifest = browser.resolve(name, reference);
        return manifest.isEmpty() ? null : ManifestDetail.of(browser, name, reference, manifest.get(), mayDelete);
    }

    /** The {@code repository} parameter when it is a valid name the user may pull. */
    private Optional<String> allowedRepository(ServerRequest request, String user) {
        return request.queryParam("repository").filter(Names::isRepository).filter(n -> access.mayPull(user, n));
    }

    private static int pageSize(ServerRequest request) {
        return Math.max(1, Math.min(MAX_PAGE, intParam(request, "n", DEFAULT_PAGE)));
    }

    private static int intParam(ServerRequest request, String name, int fallback) {
        try {
            return request.queryParam(name).map(Integer::parseInt).orElse(fallback);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static Mono<ServerResponse> notFound() {
        return json(HttpStatus.NOT_FOUND, Map.of("error", "repository not found"));
    }

    private static Mono<ServerResponse> json(HttpStatus status, Object body) {
        return ServerResponse.status(status)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body);
    }
}
