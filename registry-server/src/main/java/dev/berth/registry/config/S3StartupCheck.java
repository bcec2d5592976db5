package dev.berth.registry.config;

import dev.berth.storage.s3.S3CompatibilityCheck;
import dev.berth.storage.s3.S3CompatibilityException;
import dev.berth.storage.s3.S3Driver;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Runs the S3 driver's start-up probe ({@link S3CompatibilityCheck}: every capability, or with
 * {@code compatibility-check=false} only the bucket and credentials) and turns a refusal into a
 * {@link StorageStartupException} that names the property to fix: a typo in the bucket name or a wrong secret
 * stops start-up instead of failing every request later. An S3 that does not answer at all stops start-up only
 * when the full check is on; otherwise Berth starts and reports not ready until it answers.
 */
final class S3StartupCheck {

    private S3StartupCheck() {}

    static void run(S3Driver driver, S3Properties s3) {
        try {
            if (s3.runCompatibilityCheck()) {
                S3CompatibilityCheck.run(driver);
            } else {
                S3CompatibilityCheck.checkBucket(driver);
            }
        } catch (S3CompatibilityException e) {
            throw refused(e, s3, driver.config().region());
        }
    }

    private static StorageStartupException refused(S3CompatibilityException e, S3Properties s3, String region) {
        String where = "bucket '" + s3.bucket() + "' at "
                + (s3.endpoint() == null ? "AWS (region " + region + ")" : s3.endpoint());
        if (!S3CompatibilityCheck.BUCKET.equals(e.capability())) {
            return new StorageStartupException(
                    "berth.storage.s3.endpoint",
                    e.getMessage(),
                    "Use an S3 server with "
                            + "this capability, or set berth.storage.s3.compatibility-check=false if you know it is safe.",
                    e);
        }
        S3Exception answer = S3CompatibilityCheck.serverAnswer(e);
        if (answer == null) {
            return new StorageStartupException(
                    "berth.storage.s3.endpoint",
                    "Cannot use " + where + ": " + e.answer() + ".",
                    "Check berth.storage.s3.endpoint and the S3 settings.",
                    e);
        }
        String code = answer.awsErrorDetails() == null
                ? null
                : answer.awsErrorDetails().errorCode();
        String reply = "S3 answered " + answer.statusCode() + (code == null ? "" : " " + code);
        if ("NoSuchBucket".equals(code) || answer.statusCode() == 404) {
            return new StorageStartupException(
                    "berth.storage.s3.bucket",
                    "The " + where + " does not exist (" + reply + ").",
                    "Create the bucket, or set berth.storage.s3.bucket to an existing one; with an "
                            + "S3-compatible server, also check berth.storage.s3.endpoint and berth.storage.s3.path-style-access.",
                    e);
        }
        if (answer.statusCode() == 401 || answer.statusCode() == 403) {
            String credentials = !s3.hasAccessKey()
                    ? "the AWS default credentials (environment, profile or role)"
                    : "access key '" + s3.accessKey() + "'";
            return new StorageStartupException(
                    "berth.storage.s3.access-key",
                    "S3 refused " + credentials + " for the " + where + " (" + reply + ").",
                    "Check berth.storage.s3.access-key and berth.storage.s3.secret-key "
                            + "(unset, the AWS default credential chain applies), and that they may list, read and write the "
                            + "bucket.",
                    e);
        }
        if (answer.statusCode() == 301 || "AuthorizationHeaderMalformed".equals(code)) {
            return new StorageStartupException(
                    "berth.storage.s3.region",
                    "The " + where + " is in another region (" + reply + ").",
                    "Set berth.storage.s3.region to the bucket's region.",
                    e);
        }
        return new StorageStartupException(
                "berth.storage.s3.bucket",
                "S3 refused the " + where + " (" + e.answer() + ").",
                "Check the berth.storage.s3.* settings.",
                e);
    }
}
