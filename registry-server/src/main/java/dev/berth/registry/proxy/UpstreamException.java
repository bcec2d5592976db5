package dev.berth.registry.proxy;

import dev.berth.oci.ErrorCode;
import dev.berth.registry.http.RegistryException;

/**
 * An upstream that could not deliver: what went wrong, in the few kinds a client must tell apart. Turned into
 * the client's spec error in one place, {@link #toRegistry}.
 */
final class UpstreamException extends RuntimeException {
    enum Kind {
        /** Down, unreachable, 5xx or an answer that makes no sense: 503 naming the upstream. */
        UNAVAILABLE,
        /** 404: the content does not exist upstream. */
        NOT_FOUND,
        /** 429: passed on with the upstream's Retry-After. */
        TOO_MANY_REQUESTS,
        /** 401/403 even with Berth's credentials. */
        DENIED
    }

    private final Kind kind;
    private final String upstream;
    private final String retryAfter;

    UpstreamException(Kind kind, String upstream, String message, String retryAfter, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
        this.upstream = upstream;
        this.retryAfter = retryAfter;
    }

    static UpstreamException unavailable(String upstream, String message, Throwable cause) {
        return new UpstreamException(Kind.UNAVAILABLE, upstream, message, null, cause);
    }

    Kind kind() {
        return kind;
    }

    /** The spec error for the client; {@code notFound} is what a 404 means for the requested object. */
    RegistryException toRegistry(ErrorCode notFound, Object detail) {
        return switch (kind) {
            case NOT_FOUND -> new RegistryException(notFound, null, detail);
            case TOO_MANY_REQUESTS -> {
                RegistryException e = new RegistryException(
                        ErrorCode.TOOMANYREQUESTS,
                        "upstream " + upstream + " is rate-limiting: " + getMessage(),
                        detail);
                yield retryAfter == null ? e : e.withHeader("Retry-After", retryAfter);
            }
            case DENIED ->
                new RegistryException(
                        ErrorCode.DENIED, "upstream " + upstream + " denied access: " + getMessage(), detail);
            case UNAVAILABLE ->
                new RegistryException(
                        ErrorCode.UNAVAILABLE, "upstream " + upstream + " is unavailable: " + getMessage(), detail);
        };
    }
}
