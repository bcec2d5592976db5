package dev.berth.puller.registry;

import dev.berth.oci.ErrorCode;
import dev.berth.oci.ErrorResponse;
import java.io.IOException;

/**
 * A registry answered with an error status. The body, when it follows the spec, is parsed into the shared
 * {@link ErrorCode} enum so callers can tell "manifest unknown" from "denied" without string matching.
 */
public class RegistryException extends IOException {
    private final int status;
    private final ErrorResponse body;

    public RegistryException(String message, int status, ErrorResponse body) {
        super(message + describe(status, body));
        this.status = status;
        this.body = body;
    }

    public int status() {
        return status;
    }

    /** The first error code of the body, or one derived from the status when the body had none. */
    public ErrorCode code() {
        if (body != null && body.errors() != null && !body.errors().isEmpty()) {
            return body.errors().get(0).errorCode();
        }
        return switch (status) {
            case 401 -> ErrorCode.UNAUTHORIZED;
            case 403 -> ErrorCode.DENIED;
            case 404 -> ErrorCode.MANIFEST_UNKNOWN;
            case 416 -> ErrorCode.RANGE_INVALID;
            case 429 -> ErrorCode.TOOMANYREQUESTS;
            case 503 -> ErrorCode.UNAVAILABLE;
            default -> ErrorCode.UNKNOWN;
        };
    }

    /** Worth retrying: the registry or something in front of it is overloaded or briefly down. */
    public boolean isTransient() {
        return status == 429 || status == 408 || status >= 500;
    }

    private static String describe(int status, ErrorResponse body) {
        StringBuilder b = new StringBuilder(": HTTP ").append(status);
        if (body != null && body.errors() != null) {
            for (ErrorResponse.Entry e : body.errors()) {
                b.append("; ").append(e.code()).append(": ").append(e.message());
            }
        }
        return b.toString();
    }
}
