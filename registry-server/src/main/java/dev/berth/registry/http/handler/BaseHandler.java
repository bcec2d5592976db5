package dev.berth.registry.http.handler;

import dev.berth.registry.http.RegistryRoute;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/** {@code /v2/}: tells clients this is a registry speaking API v2. */
@Component
public class BaseHandler {
    public Mono<ServerResponse> get(ServerRequest request, RegistryRoute route) {
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue("{}");
    }
}
