package dev.berth.registry.http;

import dev.berth.oci.ErrorCode;
import dev.berth.oci.ErrorResponse;
import dev.berth.oci.OciJson;
import dev.berth.storage.StorageUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;

/**
 * The one place that writes error responses: every failure under {@code /v2} leaves as the spec's JSON body
 * with the spec's status. Bad input never becomes a 500: only genuinely unexpected failures do, and they are
 * logged with their stack trace.
 */
@Component
@Order(-2) // before Spring Boot's default handler
public class RegistryErrorHandler implements WebExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(RegistryErrorHandler.class);
    /** Seconds a client should wait before retrying when storage is unavailable. */
    static final String RETRY_AFTER_SECONDS = "5";

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
        ServerHttpResponse response = exchange.getResponse();
        if (isClientAbort(ex)) {
            // The client went away (an aborted upload or download): nobody to answer, and no fault of ours.
            log.debug(
                    "client aborted {} {}: {}",
                    exchange.getRequest().getMethod(),
                    exchange.getRequest().getPath(),
                    unwrap(ex).toString());
            return Mono.empty();
        }
        if (response.isCommitted()) {
            // Headers are gone: the only honest signal left is to abort the connection.
            return Mono.error(ex);
        }
        RegistryException error = toRegistryException(ex, exchange);
        response.setStatusCode(HttpStatus.valueOf(error.status()));
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        error.headers().forEach((k, v) -> response.getHeaders().set(k, v));
        if (HttpMethod.HEAD.equals(exchange.getRequest().getMethod())) {
            return response.setComplete();
        }
        byte[] body =
                OciJson.mapper().writeValueAsBytes(ErrorResponse.of(error.code(), error.getMessage(), error.detail()));
        response.getHeaders().setContentLength(body.length);
        DataBuffer buffer = response.bufferFactory().wrap(body);
        return response.writeWith(Mono.just(buffer));
    }

    static RegistryException toRegistryException(Throwable ex, ServerWebExchange exchange) {
        Throwable cause = unwrap(ex);
        if (cause instanceof RegistryException re) {
            return re;
        }
        if (cause instanceof StorageUnavailableException) {
            log.warn(
                    "storage unavailable for {} {}: {}",
                    exchange.getRequest().getMethod(),
                    exchange.getRequest().getPath(),
                    cause.toString());
            return new RegistryException(ErrorCode.UNAVAILABLE, "storage is temporarily unavailable", null)
                    .withHeader("Retry-After", RETRY_AFTER_SECONDS);
        }
        if (cause instanceof ResponseStatusException rse) {
            int status = rse.getStatusCode().value();
            ErrorCode code = switch (status) {
                case 404 -> ErrorCode.NAME_UNKNOWN;
                case 405 -> ErrorCode.UNSUPPORTED;
                case 413 -> ErrorCode.SIZE_EXCEEDED;
                case 401 -> ErrorCode.UNAUTHORIZED;
                case 403 -> ErrorCode.DENIED;
                case 503 -> ErrorCode.UNAVAILABLE;
                default -> status < 500 ? ErrorCode.UNSUPPORTED : ErrorCode.UNKNOWN;
            };
            return new RegistryException(code, rse.getReason(), null).withStatus(status);
        }
        log.error(
                "unexpected failure for {} {}",
                exchange.getRequest().getMethod(),
                exchange.getRequest().getPath(),
                cause);
        return new RegistryException(ErrorCode.UNKNOWN, "internal error", null);
    }

    /**
     * True when the failure is the client's connection going away: Reactor Netty's {@code AbortedException}, a
     * closed channel, or an I/O error reporting a reset or broken connection, anywhere in the cause chain.
     */
    static boolean isClientAbort(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof reactor.netty.channel.AbortedException
                    || t instanceof java.nio.channels.ClosedChannelException) {
                return true;
            }
            if (t instanceof java.io.IOException && t.getMessage() != null) {
                String message = t.getMessage().toLowerCase(java.util.Locale.ROOT);
                if (message.contains("connection reset by peer") || message.contains("broken pipe")) {
                    return true;
                }
            }
        }
        return org.springframework.web.util.DisconnectedClientHelper.isClientDisconnectedException(ex);
    }

    private static Throwable unwrap(Throwable ex) {
        Throwable t = ex;
        while ((t instanceof java.util.concurrent.CompletionException
                        || t instanceof java.lang.reflect.UndeclaredThrowableException
                        || t.getClass() == RuntimeException.class)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
