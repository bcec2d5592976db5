package dev.berth.registry.config;

/**
 * The configured storage answered at start-up, and the answer means Berth cannot work with it: the S3 bucket
 * does not exist, the credentials are refused, or the server lacks something Berth needs. Starting anyway
 * would fail every request, so start-up stops with {@link StorageStartupFailureAnalyzer}'s short report.
 * (Storage that does not answer at all is not this: Berth then starts, and its readiness probe says DOWN until
 * storage is back.)
 */
public class StorageStartupException extends RuntimeException {
    private final String property;
    private final String action;

    /**
     * @param property the property most likely to need fixing, e.g. {@code berth.storage.s3.bucket}
     * @param problem  what storage answered and what it means, naming the bucket and endpoint
     * @param action   what the operator should do
     */
    public StorageStartupException(String property, String problem, String action, Throwable cause) {
        super(problem, cause);
        this.property = property;
        this.action = action;
    }

    /** The property most likely to need fixing. */
    public String property() {
        return property;
    }

    /** What to do about it. */
    public String action() {
        return action;
    }
}
