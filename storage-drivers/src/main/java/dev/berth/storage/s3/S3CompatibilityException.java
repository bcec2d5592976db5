package dev.berth.storage.s3;

/**
 * The S3 server (or its bucket) lacks something {@link S3Driver} relies on, found by {@link S3CompatibilityCheck}
 * at start-up. The message is one paragraph for the operator: the capability, what the server answered, why it
 * matters and what to do.
 */
public final class S3CompatibilityException extends IllegalStateException {
    private final String capability;
    private final String answer;

    S3CompatibilityException(String capability, String answer, String message, Throwable cause) {
        super(message, cause);
        this.capability = capability;
        this.answer = answer;
    }

    /** The capability that failed, e.g. {@code "If-None-Match: * refuses an overwrite"}. */
    public String capability() {
        return capability;
    }

    /** What the server answered, e.g. {@code "200 OK, ETag \"d41d...\""} or {@code "403 AccessDenied: ..."}. */
    public String answer() {
        return answer;
    }
}
