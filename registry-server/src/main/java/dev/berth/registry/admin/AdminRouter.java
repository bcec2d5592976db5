package dev.berth.registry.admin;

import dev.berth.oci.Names;
import dev.berth.registry.cache.RegistryCaches;
import dev.berth.registry.gc.GcService;
import dev.berth.registry.maintenance.ReadOnlyMode;
import dev.berth.registry.storage.Blocking;
import dev.berth.storage.StorageDriver;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The admin API, all under {@code /admin/**} so that access control can protect it with one rule:
 *
 * <ul>
 *   <li>{@code POST /admin/gc[?dry-run=true][&wait=true]}: starts a garbage collection; 202 with the status, or
 *       with {@code wait=true} 200 and the report once done; 409 when one is already running here.</li>
 *   <li>{@code GET /admin/gc}: running or idle, and the last report.</li>
 *   <li>{@code GET /admin/repositories[?n=&last=]}: storage used per repository (a page of {@code n} after
 *       {@code last}, and {@code next}, when {@code n} is given).</li>
 *   <li>{@code DELETE /admin/repositories/<name>}: deletes a whole repository (202; 404 if unknown).</li>
 *   <li>{@code GET /admin/read-only}: {@code {"readOnly": false}}; {@code PUT /admin/read-only} with the same body
 *       switches this process's {@link ReadOnlyMode} and answers the new state.</li>
 * </ul>
 * While read-only, deleting a repository answers 409; garbage collection runs (the safest time for it).
 * Bodies are JSON; errors are {@code {"error": "..."}}.
 */
@Configuration(proxyBeanMethods = false)
public class AdminRouter {
    static final String PREFIX = "/admin";
    private static final String REPOSITORIES = PREFIX + "/repositories";
    private static final String READ_ONLY = PREFIX + "/read-only";

    /** The body of {@code /admin/read-only}. */
    public record ReadOnlyState(Boolean readOnly) {}

    @Bean
    RepositoryAdmin repositoryAdmin(StorageDriver driver, RegistryCaches caches) {
        return new RepositoryAdmin(driver, caches);
    }

    @Bean
    RouterFunction<ServerResponse> adminRoutes(
            GcService gc, RepositoryAdmin repositories, Blocking blocking, ReadOnlyMode readOnly) {
        return RouterFunctions.route()
                .POST(PREFIX + "/gc", request -> startGc(gc, blocking, request))
                .GET(
                        PREFIX + "/gc",
                        request -> blocking.call(gc::status).flatMap(status -> json(HttpStatus.OK, status)))
                .GET(
                        REPOSITORIES,
                        request -> blocking.call(repositories::usage)
                                .flatMap(usage -> json(HttpStatus.OK, usagePage(usage, request))))
                .DELETE(
                        RequestPredicates.path(REPOSITORIES + "/**"),
                        request -> readOnly.isOn()
                                ? json(HttpStatus.CONFLICT, Map.of("error", "the registry is in read-only mode"))
                                : deleteRepository(repositories, blocking, request))
                .GET(READ_ONLY, request -> json(HttpStatus.OK, new ReadOnlyState(readOnly.isOn())))
                .PUT(
                        READ_ONLY,
                        request -> request.bodyToMono(ReadOnlyState.class)
                                .filter(body -> body.readOnly() != null)
                                .flatMap(body -> {
                                    readOnly.set(body.readOnly());
                                    return json(HttpStatus.OK, new ReadOnlyState(readOnly.isOn()));
                                })
                                .switchIfEmpty(Mono.defer(() -> json(
                                        HttpStatus.BAD_REQUEST,
                                        Map.of("error", "expected {\"readOnly\": true|false}")))))
                .build();
    }

    private static Mono<ServerResponse> startGc(GcService gc, Blocking blocking, ServerRequest request) {
        Optional<GcService.Running> run = gc.start(flag(request, "dry-run"));
        // The status may read the stored report: off the event loop.
        Mono<GcService.Status> status = blocking.call(gc::status);
        if (run.isEmpty()) {
            return status.flatMap(s -> json(HttpStatus.CONFLICT, s));
        }
        if (flag(request, "wait")) {
            return Mono.fromFuture(run.get().result())
                    .flatMap(report -> json(HttpStatus.OK, report))
                    .onErrorResume(e -> json(HttpStatus.INTERNAL_SERVER_ERROR, Map.of("error", String.valueOf(e))));
        }
        return status.flatMap(s -> json(HttpStatus.ACCEPTED, s));
    }

    private static Mono<ServerResponse> deleteRepository(
            RepositoryAdmin repositories, Blocking blocking, ServerRequest request) {
        // Names contain '/', so the name is the rest of the path rather than one path variable.
        String name = request.requestPath().pathWithinApplication().value().substring(REPOSITORIES.length() + 1);
        if (!Names.isRepository(name)) {
            return json(HttpStatus.BAD_REQUEST, Map.of("error", "invalid repository name"));
        }
        return blocking.call(() -> repositories.delete(name))
                .flatMap(deleted -> deleted
                        ? json(HttpStatus.ACCEPTED, Map.of("deleted", name))
                        : json(HttpStatus.NOT_FOUND, Map.of("error", "repository not found")));
    }

    /**
     * All of it, or with {@code n} (and {@code last}) the page of up to {@code n} repositories after {@code last},
     * with {@code next} naming the last one when more follow.
     */
    private static Map<String, Object> usagePage(List<RepositoryAdmin.Usage> usage, ServerRequest request) {
        Optional<Integer> n = request.queryParam("n").flatMap(AdminRouter::positive);
        if (n.isEmpty()) {
            return Map.of("repositories", usage);
        }
        String last = request.queryParam("last").orElse("");
        List<RepositoryAdmin.Usage> after =
                usage.stream().filter(u -> u.name().compareTo(last) > 0).toList();
        List<RepositoryAdmin.Usage> page = after.subList(0, Math.min(n.get(), after.size()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("repositories", page);
        body.put("next", page.size() < after.size() ? page.get(page.size() - 1).name() : null);
        return body;
    }

    private static Optional<Integer> positive(String value) {
        try {
            int n = Integer.parseInt(value.trim());
            return n > 0 ? Optional.of(n) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static boolean flag(ServerRequest request, String name) {
        return request.queryParam(name)
                .map(v -> v.isEmpty() || Boolean.parseBoolean(v))
                .orElse(false);
    }

    private static Mono<ServerResponse> json(HttpStatus status, Object body) {
        return ServerResponse.status(status)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body);
    }
}
