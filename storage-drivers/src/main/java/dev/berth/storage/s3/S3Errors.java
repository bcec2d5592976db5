package dev.berth.storage.s3;

import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageException;
import dev.berth.storage.StorageUnavailableException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Set;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The one place that turns SDK failures into the SPI's typed errors. By the time an exception gets here the
 * SDK's retry strategy has already retried what is retryable (with backoff, longer for throttling).
 */
final class S3Errors {
    private static final Set<String> UNAVAILABLE_CODES = Set.of(
            "SlowDown",
            "Throttling",
            "ThrottlingException",
            "RequestTimeout",
            "RequestTimeTooSkewed",
            "ServiceUnavailable",
            "InternalError",
            "RequestLimitExceeded",
            "TooManyRequestsException");

    private S3Errors() {}

    /** Translates a failure that concerned the logical {@code path}. */
    static IOException translate(String path, SdkException e) {
        if (e instanceof S3Exception s3) {
            String code =
                    s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
            int status = s3.statusCode();
            if (isNotFound(e)) {
                return new PathNotFoundException(path);
            }
            // 501 Not Implemented is a permanent answer, not an outage.
            if ((status >= 500 && status != 501)
                    || status == 429
                    || (code != null && UNAVAILABLE_CODES.contains(code))) {
                return new StorageUnavailableException(path, e);
            }
            return new StorageException("S3 error " + status + " " + code, path, e);
        }
        if (e instanceof AbortedException) {
            InterruptedIOException interrupted = new InterruptedIOException("S3 request aborted: " + path);
            interrupted.initCause(e);
            return interrupted;
        }
        if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException || isConnectivity(e)) {
            return new StorageUnavailableException(path, e);
        }
        return new StorageException("S3 client error", path, e);
    }

    /** Whether a client-side failure came from the network (refused, reset, timed out) rather than a bug. */
    private static boolean isConnectivity(SdkException e) {
        if (!(e instanceof SdkClientException)) {
            return false;
        }
        if (e.retryable()) {
            return true;
        }
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a failure means "not there" (404: NoSuchKey, NoSuchUpload, or a HEAD without body), for callers
     * that treat absence as a normal answer. A missing bucket is a configuration error, never "not there".
     */
    static boolean isNotFound(SdkException e) {
        return e instanceof S3Exception s3
                && s3.statusCode() == 404
                && !(s3.awsErrorDetails() != null
                        && "NoSuchBucket".equals(s3.awsErrorDetails().errorCode()));
    }
}
