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
public class UploadHandler {

    public Mono<ServerResponse> start(ServerRequest request, RegistryRoute route) {
        return Mono.error(new RegistryException(ErrorCode.UNSUPPORTED));
    }

    public Mono<ServerResponse> status(ServerRequest request, RegistryRoute route) {
        return Mono.error(new RegistryException(ErrorCode.UNSUPPORTED));
    }

    public Mono<ServerResponse> patch(ServerRequest request, RegistryRoute route) {
        return Mono.error(new RegistryException(ErrorCode.UNSUPPORTED));
    }

    public Mono<ServerResponse> put(ServerRequest request, RegistryRoute route) {
        return Mono.error(new RegistryException(ErrorCode.UNSUPPORTED));
    }

    public Mono<ServerResponse> cancel(ServerRequest request, RegistryRoute route) {
        return Mono.error(new RegistryException(ErrorCode.UNSUPPORTED));
    }
}
