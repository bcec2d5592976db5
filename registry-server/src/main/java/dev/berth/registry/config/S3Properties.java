package dev.berth.registry.config;

import dev.berth.storage.s3.S3DriverConfig;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * {@code berth.storage.s3.*}: the S3 driver ({@code berth.storage.driver=s3}). Every replica pointing at the same
 * bucket and root prefix serves the same registry.
 *
 * <p>One configuration model: each component but {@code compatibilityCheck} is the {@link S3DriverConfig}
 * component of the same name (a test holds the two lists equal), documented there; an unset property is left
 * unset on {@link S3DriverConfig.Builder}, whose defaults are the only ones (README lists them). The constraints
 * here reject bad values at binding, naming the property; the driver's own checks cover the combinations.
 *
 * @param bucket the bucket; it must exist. Required with {@code driver=s3}
 * @param region the signing region; S3-compatible servers usually accept any
 * @param endpoint endpoint override for S3-compatible servers ({@code http://minio:9000}); unset for AWS
 * @param pathStyleAccess address buckets as {@code endpoint/bucket/key}; most S3-compatible servers need it
 * @param accessKey static credentials; unset (with the secret), the AWS SDK's default credential chain applies
 * @param secretKey the secret for {@code access-key}
 * @param rootPrefix key prefix under which the whole tree lives; empty for the bucket root
 * @param partSize multipart part size (at least 5MB); also the most memory one open upload buffers
 * @param serverSideEncryption {@code none}, {@code aes256} (SSE-S3) or {@code kms} (SSE-KMS)
 * @param kmsKeyId the KMS key for {@code server-side-encryption=kms}; unset for the bucket's default key
 * @param storageClass storage class of content objects (e.g. {@code STANDARD_IA}); unset for the bucket default
 * @param redirect answer blob GETs with a 307 redirect to a presigned S3 URL instead of streaming the bytes
 * @param redirectValidity lifetime of presigned redirect URLs (at most 7 days)
 * @param maxRetries retries per S3 request after the first attempt (throttling, 5xx, connection errors)
 * @param retryBaseDelay first retry backoff; doubles per retry, with jitter
 * @param retryMaxDelay longest retry backoff
 * @param connectTimeout TCP connect timeout
 * @param socketTimeout how long a connection may stay silent mid-request
 * @param uploadClaimLease how long a request that died keeps other replicas from continuing its upload; live
 *     requests renew their claim while bytes flow. Must exceed the longest pause of a client within one PATCH
 * @param caCertificate PEM file of the certificates an HTTPS endpoint must chain to (a private CA, or the
 *     server's self-signed certificate), instead of the JVM's trust store
 * @param compatibilityCheck probe the bucket at start-up for every guarantee the driver relies on (conditional
 *     writes above all) and refuse to start without one (default true); see {@link S3StartupCheck}
 */
@ConfigurationProperties("berth.storage.s3")
@Validated
public record S3Properties(
        @Pattern(regexp = "\\S+", message = "must not be blank")
        String bucket,

        @Pattern(regexp = "\\S+", message = "must not be blank (any value for most S3-compatible servers)")
        String region,

        URI endpoint,
        Boolean pathStyleAccess,
        String accessKey,
        String secretKey,
        String rootPrefix,
        DataSize partSize,
        S3DriverConfig.ServerSideEncryption serverSideEncryption,
        String kmsKeyId,
        String storageClass,
        Boolean redirect,

        @DurationMin(seconds = 1, message = "must be at least 1s")
        @DurationMax(days = 7, message = "must be at most 7d (the longest a presigned URL lives)")
        Duration redirectValidity,

        @Min(value = 0, message = "must be 0 or more") Integer maxRetries,

        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        Duration retryBaseDelay,

        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        Duration retryMaxDelay,

        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        Duration connectTimeout,

        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        Duration socketTimeout,

        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        Duration uploadClaimLease,

        Path caCertificate,
        Boolean compatibilityCheck) {

    /** Nothing set: every driver default. */
    static S3Properties unset() {
        return new S3Properties(
                null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null);
    }

    /** Whether to run the full start-up compatibility check (default: yes). */
    public boolean runCompatibilityCheck() {
        return compatibilityCheck == null || compatibilityCheck;
    }

    /** Whether static credentials are configured (else the AWS default chain applies). */
    boolean hasAccessKey() {
        return blankToNull(accessKey) != null;
    }

    /** The driver's configuration: what is set here on top of {@link S3DriverConfig.Builder}'s defaults. */
    S3DriverConfig toDriverConfig() {
        if (blankToNull(bucket) == null) {
            throw new ConfigurationProblem(
                    "berth.storage.s3.bucket",
                    "berth.storage.driver=s3, but berth.storage.s3.bucket is not set.",
                    "Set berth.storage.s3.bucket to an existing bucket.");
        }
        if (blankToNull(kmsKeyId) != null && serverSideEncryption != S3DriverConfig.ServerSideEncryption.KMS) {
            throw new ConfigurationProblem(
                    "berth.storage.s3.kms-key-id",
                    "A KMS key is set, which needs " + "berth.storage.s3.server-side-encryption=kms.",
                    "Set " + "berth.storage.s3.server-side-encryption=kms, or remove berth.storage.s3.kms-key-id.");
        }
        S3DriverConfig.Builder config = S3DriverConfig.builder(bucket);
        set(config::region, region);
        set(config::endpoint, endpoint);
        set(config::pathStyleAccess, pathStyleAccess);
        set(config::accessKey, blankToNull(accessKey));
        set(config::secretKey, blankToNull(secretKey));
        set(config::rootPrefix, rootPrefix);
        set(config::partSize, partSize == null ? null : partSize.toBytes());
        set(config::serverSideEncryption, serverSideEncryption);
        set(config::kmsKeyId, blankToNull(kmsKeyId));
        set(config::storageClass, blankToNull(storageClass));
        set(config::redirect, redirect);
        set(config::redirectValidity, redirectValidity);
        set(config::maxRetries, maxRetries);
        set(config::retryBaseDelay, retryBaseDelay);
        set(config::retryMaxDelay, retryMaxDelay);
        set(config::connectTimeout, connectTimeout);
        set(config::socketTimeout, socketTimeout);
        set(config::uploadClaimLease, uploadClaimLease);
        set(config::caCertificate, caCertificate);
        try {
            return config.build();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ConfigurationProblem(
                    "berth.storage.s3",
                    "Invalid berth.storage.s3.* settings: " + e.getMessage(),
                    "Correct the berth.storage.s3.* setting named above.",
                    e);
        }
    }

    private static <T> void set(Consumer<T> setter, T value) {
        if (value != null) {
            setter.accept(value);
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
