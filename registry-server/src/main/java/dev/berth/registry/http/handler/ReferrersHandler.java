package dev.berth.registry.http.handler;

import dev.berth.oci.ErrorCode;
import dev.berth.registry.http.RegistryException;
import dev.berth.registry.http.RegistryRoute;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/** TODO(skeleton): to be implemented. */
@Component
public class ReferrersHandler {

    public Mono<ServerResponse> list(ServerRequest request, RegistryRoute route) {
        return Mono.error(new RegistryException(ErrorCode.UNSUPPORTED));
    }
}
