package dev.berth.registry.config;

import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageUnavailableException;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Asks S3 once at start-up whether the bucket exists and the credentials are accepted, so that a typo in the
 * bucket name or a wrong secret stops start-up with a {@link StorageStartupException} instead of failing every
 * request later. An S3 that does not answer at all is only logged: Berth starts and reports not ready until it
 * answers.
 */
final class S3StartupCheck {
    private static final Logger log = LoggerFactory.getLogger(S3StartupCheck.class);

    private S3StartupCheck() {
    }

    static void verify(StorageDriver driver, BerthProperties.S3 s3) {
        String where = "bucket '" + s3.getBucket() + "' at " + (s3.getEndpoint() == null ? "AWS (region "
                + s3.getRegion() + ")" : s3.getEndpoint());
        try {
            driver.stat("/");
        } catch (PathNotFoundException empty) {
            // an empty bucket (or root prefix): a new registry
        } catch (StorageUnavailableException down) {
            log.warn("S3 does not answer at start-up ({}): {}; starting anyway, not ready until it does", where,
                    down.getMessage());
        } catch (IOException e) {
            throw refused(where, s3, e);
        }
    }

    private static StorageStartupException refused(String where, BerthProperties.S3 s3, IOException e) {
        S3Exception answer = null;
        for (Throwable cause = e; cause != null && answer == null; cause = cause.getCause()) {
            answer = cause instanceof S3Exception s3e ? s3e : null;
        }
        if (answer == null) {
            return new StorageStartupException("berth.storage.s3.endpoint", "Cannot use " + where + ": " + e.getMessage()
                    + ".", "Check berth.storage.s3.endpoint and the S3 settings.", e);
        }
        String code = answer.awsErrorDetails() == null ? null : answer.awsErrorDetails().errorCode();
        String reply = "S3 answered " + answer.statusCode() + (code == null ? "" : " " + code);
        if ("NoSuchBucket".equals(code) || answer.statusCode() == 404) {
            return new StorageStartupException("berth.storage.s3.bucket", "The " + where + " does not exist ("
                    + reply + ").", "Create the bucket, or set berth.storage.s3.bucket to an existing one; with an "
                    + "S3-compatible server, also check berth.storage.s3.endpoint and berth.storage.s3.path-style-access.",
                    e);
        }
        if (answer.statusCode() == 401 || answer.statusCode() == 403) {
            String credentials = s3.getAccessKey() == null || s3.getAccessKey().isBlank()
                    ? "the AWS default credentials (environment, profile or role)"
                    : "access key '" + s3.getAccessKey() + "'";
            return new StorageStartupException("berth.storage.s3.access-key", "S3 refused " + credentials + " for the "
                    + where + " (" + reply + ").", "Check berth.storage.s3.access-key and berth.storage.s3.secret-key "
                    + "(unset, the AWS default credential chain applies), and that they may list, read and write the "
                    + "bucket.", e);
        }
        if (answer.statusCode() == 301 || "AuthorizationHeaderMalformed".equals(code)) {
            return new StorageStartupException("berth.storage.s3.region", "The " + where + " is in another region ("
                    + reply + ").", "Set berth.storage.s3.region to the bucket's region.", e);
        }
        String detail = answer.awsErrorDetails() == null ? answer.getMessage() : answer.awsErrorDetails().errorMessage();
        return new StorageStartupException("berth.storage.s3.bucket", "S3 refused the " + where + " (" + reply + ": "
                + detail + ").", "Check the berth.storage.s3.* settings.", e);
    }
}
