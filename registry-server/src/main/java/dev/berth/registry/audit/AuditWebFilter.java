package dev.berth.registry.audit;

import dev.berth.registry.http.RegistryException;
import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.http.RouteKind;
import dev.berth.registry.security.ClientAddress;
import dev.berth.registry.security.MountRule;
import dev.berth.registry.security.RegistryAuthentication;
import dev.berth.registry.support.LogLine;
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
 * what, from where, and how it ended. Lines are {@code key=value} pairs quoted and escaped by {@link LogLine},
 * e.g.
 * {@code event=tag method=PUT route=MANIFEST repository=team/app reference=latest digest=sha256:... status=201
 * user=alice remote=10.0.0.7 duration_ms=12}. A cross-repository mount that was refused (see
 * {@link MountRule}) is {@code event=mount-refused}, with the digest, {@code mount_from} and the {@code reason}.
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
        return HttpMethod.POST.equals(method)
                || HttpMethod.PUT.equals(method)
                || HttpMethod.PATCH.equals(method)
                || HttpMethod.DELETE.equals(method);
    }

    private static void log(
            ServerWebExchange exchange, String path, long start, AtomicBoolean logged, String endSignal) {
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
        boolean mountAttempt = route != null
                && route.kind() == RouteKind.UPLOADS
                && request.getQueryParams().getFirst("mount") != null;
        if (digest == null && mountAttempt) {
            digest = request.getQueryParams().getFirst("mount");
        }
        Object mountRefusal = exchange.getAttributes().get(MountRule.REFUSAL_ATTRIBUTE);
        String line = new LogLine()
                .add("event", mountRefusal != null ? "mount-refused" : event(method, route, request))
                .add("method", method.name())
                .add("route", route == null ? "INVALID" : route.kind().name())
                .add("repository", route == null ? null : route.name())
                .add("reference", route != null && route.isTag() ? route.reference() : null)
                .add("digest", digest)
                .add("mount_from", mountAttempt ? request.getQueryParams().getFirst("from") : null)
                .add("reason", mountRefusal == null ? null : mountRefusal.toString())
                .add(
                        "status",
                        status == null ? (endSignal == null ? "-" : endSignal) : Integer.toString(status.value()))
                .add("user", user == null || user.toString().isEmpty() ? "-" : user.toString())
                .add("remote", ClientAddress.of(exchange))
                .add("duration_ms", Long.toString((System.nanoTime() - start) / 1_000_000))
                .toString();
        if (chunk) {
            audit.debug(line);
        } else {
            audit.info(line);
        }
    }

    /** What the request does, in the words an operator searches for. */
    static String event(HttpMethod method, RegistryRoute route, ServerHttpRequest request) {
        if (route == null) {
            return "invalid";
        }
        return switch (route.kind()) {
            case MANIFEST ->
                HttpMethod.PUT.equals(method)
                        ? (route.isTag() ? "tag" : "push-manifest")
                        : HttpMethod.DELETE.equals(method) ? "delete-manifest" : "write";
            case BLOB -> HttpMethod.DELETE.equals(method) ? "delete-blob" : "write";
            case UPLOADS ->
                request.getQueryParams().getFirst("mount") != null
                        ? "mount"
                        : request.getQueryParams().getFirst("digest") != null ? "push-blob" : "upload-start";
            case UPLOAD ->
                HttpMethod.PUT.equals(method)
                        ? "push-blob"
                        : HttpMethod.DELETE.equals(method) ? "upload-cancel" : "upload-chunk";
            default -> "write";
        };
    }
}
