package dev.berth.registry.upload;

import dev.berth.oci.ErrorCode;

/**
 * An upload failed for a reason the client must hear as a spec error. The HTTP layer maps it to its
 * response; this package stays free of HTTP types.
 */
public class UploadException extends RuntimeException {
    private final ErrorCode code;
    private final Object detail;

    public UploadException(ErrorCode code, String message, Object detail) {
        super(message, null, false, false);
        this.code = code;
        this.detail = detail;
    }

    public ErrorCode code() {
        return code;
    }

    public Object detail() {
        return detail;
    }
}
