package dev.berth.registry.audit;

import dev.berth.registry.http.RegistryException;
import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.http.RouteKind;
import dev.berth.registry.security.ClientAddress;
import dev.berth.registry.security.RegistryAuthentication;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * One line on logger {@code berth.audit} for every write to {@code /v2}: who pushed, tagged, mounted or deleted
 * what, from where, and how it ended. Lines are {@code key=value} pairs (values with spaces or quotes are
 * quoted), e.g.
 * {@code event=tag method=PUT route=MANIFEST repository=team/app reference=latest digest=sha256:... status=201
 * user=alice remote=10.0.0.7 duration_ms=12}.
 *
 * <p>The line is written when the response status is final: just before the response is committed (so errors
 * turned into responses by the error handler are included), or when the exchange ends without a response
 * (client gone). Upload chunks (PATCH) are logged at DEBUG: a single push sends many of them.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10) // outside the security chain: refusals are audited too
public class AuditWebFilter implements WebFilter {
    private static final Logger audit = LoggerFactory.getLogger("berth.audit");

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        HttpMethod method = request.getMethod();
        String path = request.getPath().pathWithinApplication().value();
        if (!isWrite(method) || !(path.equals("/v2") || path.startsWith("/v2/"))) {
            return chain.filter(exchange);
        }
        long start = System.nanoTime();
        AtomicBoolean logged = new AtomicBoolean();
        exchange.getResponse().beforeCommit(() -> {
            log(exchange, path, start, logged, null);
            return Mono.empty();
        });
        return chain.filter(exchange).doFinally(signal -> log(exchange, path, start, logged, signal.toString()));
    }

    private static boolean isWrite(HttpMethod method) {
        return HttpMethod.POST.equals(method) || HttpMethod.PUT.equals(method) || HttpMethod.PATCH.equals(method)
                || HttpMethod.DELETE.equals(method);
    }

    private static void log(ServerWebExchange exchange, String path, long start, AtomicBoolean logged,
                            String endSignal) {
        if (logged.getAndSet(true)) {
            return;
        }
        ServerHttpRequest request = exchange.getRequest();
        HttpMethod method = request.getMethod();
        RegistryRoute route = null;
        try {
            route = RegistryRoute.parse(path);
        } catch (RegistryException e) {
            // logged with route=INVALID
        }
        boolean chunk = HttpMethod.PATCH.equals(method);
        if (chunk ? !audit.isDebugEnabled() : !audit.isInfoEnabled()) {
            return;
        }
        HttpStatusCode status = exchange.getResponse().getStatusCode();
        Object user = exchange.getAttributes().get(RegistryAuthentication.USER_ATTRIBUTE);
        String digest = exchange.getResponse().getHeaders().getFirst("Docker-Content-Digest");
        if (digest == null && route != null && route.digest() != null) {
            digest = route.digest().toString();
        }
        StringBuilder line = new StringBuilder();
        append(line, "event", event(method, route, request));
        append(line, "method", method.name());
        append(line, "route", route == null ? "INVALID" : route.kind().name());
        append(line, "repository", route == null ? null : route.name());
        append(line, "reference", route != null && route.isTag() ? route.reference() : null);
        append(line, "digest", digest);
        if (route != null && route.kind() == RouteKind.UPLOADS) {
            append(line, "mount_from", request.getQueryParams().getFirst("from"));
        }
        append(line, "status", status == null ? (endSignal == null ? "-" : endSignal) : Integer.toString(status.value()));
        append(line, "user", user == null || user.toString().isEmpty() ? "-" : user.toString());
        append(line, "remote", ClientAddress.of(exchange));
        append(line, "duration_ms", Long.toString((System.nanoTime() - start) / 1_000_000));
        if (chunk) {
            audit.debug(line.toString());
        } else {
            audit.info(line.toString());
        }
    }

    /** What the request does, in the words an operator searches for. */
    static String event(HttpMethod method, RegistryRoute route, ServerHttpRequest request) {
        if (route == null) {
            return "invalid";
        }
        return switch (route.kind()) {
            case MANIFEST -> HttpMethod.PUT.equals(method) ? (route.isTag() ? "tag" : "push-manifest")
                    : HttpMethod.DELETE.equals(method) ? "delete-manifest" : "write";
            case BLOB -> HttpMethod.DELETE.equals(method) ? "delete-blob" : "write";
            case UPLOADS -> request.getQueryParams().getFirst("mount") != null ? "mount"
                    : request.getQueryParams().getFirst("digest") != null ? "push-blob" : "upload-start";
            case UPLOAD -> HttpMethod.PUT.equals(method) ? "push-blob"
                    : HttpMethod.DELETE.equals(method) ? "upload-cancel" : "upload-chunk";
            default -> "write";
        };
    }

    private static void append(StringBuilder line, String key, String value) {
        if (value == null) {
            return;
        }
        if (!line.isEmpty()) {
            line.append(' ');
        }
        line.append(key).append('=');
        if (value.isEmpty() || value.chars().anyMatch(c -> c == ' ' || c == '"' || c == '=' || c < 0x20)) {
            line.append('"').append(value.replace("\\", "\\\\").replace("\"", "\\\"")
                    .replaceAll("[\\x00-\\x1f]", "?")).append('"');
        } else {
            line.append(value);
        }
    }
}
