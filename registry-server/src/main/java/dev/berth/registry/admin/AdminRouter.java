package dev.berth.registry.admin;

import dev.berth.oci.Names;
import dev.berth.registry.gc.GcService;
import dev.berth.registry.storage.Blocking;
import dev.berth.storage.StorageDriver;
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
 *   <li>{@code GET /admin/repositories}: storage used per repository.</li>
 *   <li>{@code DELETE /admin/repositories/<name>}: deletes a whole repository (202; 404 if unknown).</li>
 * </ul>
 * Bodies are JSON; errors are {@code {"error": "..."}}.
 */
@Configuration(proxyBeanMethods = false)
public class AdminRouter {
    static final String PREFIX = "/admin";
    private static final String REPOSITORIES = PREFIX + "/repositories";

    @Bean
    RepositoryAdmin repositoryAdmin(StorageDriver driver) {
        return new RepositoryAdmin(driver);
    }

    @Bean
    RouterFunction<ServerResponse> adminRoutes(GcService gc, RepositoryAdmin repositories, Blocking blocking) {
        return RouterFunctions.route()
                .POST(PREFIX + "/gc", request -> startGc(gc, request))
                .GET(PREFIX + "/gc", request -> json(HttpStatus.OK, gc.status()))
                .GET(REPOSITORIES, request -> blocking.call(repositories::usage)
                        .flatMap(usage -> json(HttpStatus.OK, Map.of("repositories", usage))))
                .DELETE(RequestPredicates.path(REPOSITORIES + "/**"), request -> deleteRepository(repositories, blocking, request))
                .build();
    }

    private static Mono<ServerResponse> startGc(GcService gc, ServerRequest request) {
        boolean dryRun = flag(request, "dry-run");
        Optional<GcService.Running> run = gc.start(dryRun);
        if (run.isEmpty()) {
            return json(HttpStatus.CONFLICT, gc.status());
        }
        if (flag(request, "wait")) {
            return Mono.fromFuture(run.get().result()).flatMap(report -> json(HttpStatus.OK, report))
                    .onErrorResume(e -> json(HttpStatus.INTERNAL_SERVER_ERROR, Map.of("error", String.valueOf(e))));
        }
        return json(HttpStatus.ACCEPTED, gc.status());
    }

    private static Mono<ServerResponse> deleteRepository(RepositoryAdmin repositories, Blocking blocking,
                                                         ServerRequest request) {
        // Names contain '/', so the name is the rest of the path rather than one path variable.
        String name = request.requestPath().pathWithinApplication().value().substring(REPOSITORIES.length() + 1);
        if (!Names.isRepository(name)) {
            return json(HttpStatus.BAD_REQUEST, Map.of("error", "invalid repository name"));
        }
        return blocking.call(() -> repositories.delete(name)).flatMap(deleted -> deleted
                ? json(HttpStatus.ACCEPTED, Map.of("deleted", name))
                : json(HttpStatus.NOT_FOUND, Map.of("error", "repository not found")));
    }

    private static boolean flag(ServerRequest request, String name) {
        return request.queryParam(name).map(v -> v.isEmpty() || Boolean.parseBoolean(v)).orElse(false);
    }

    private static Mono<ServerResponse> json(HttpStatus status, Object body) {
        return ServerResponse.status(status).contentType(MediaType.APPLICATION_JSON).bodyValue(body);
    }
}
