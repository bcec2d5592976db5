package dev.berth.storage.s3;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything {@link S3Driver} needs to know about its bucket. Build one with {@link #builder(String)}; every
 * field but the bucket has a default, defined here only: the registry's {@code berth.storage.s3.*} properties
 * carry the same names (kebab-case) and leave unset what this builder defaults.
 *
 * @param bucket the bucket holding the tree; it must exist
 * @param region the signing region, e.g. {@code us-east-1} (S3-compatible servers usually accept any)
 * @param endpoint an endpoint override for S3-compatible servers ({@code http://127.0.0.1:9000}), or
 *     {@code null} for AWS
 * @param pathStyleAccess address the bucket as {@code endpoint/bucket/key} instead of
 *     {@code bucket.endpoint/key}; most S3-compatible servers need this
 * @param accessKey static credentials, or {@code null} (with {@code secretKey}) for the SDK's default
 *     credential chain (environment, profile, container/instance role, web identity)
 * @param secretKey the secret for {@code accessKey}
 * @param rootPrefix the key prefix under which the driver's whole tree lives, without leading or trailing
 *     slash; empty for the bucket root
 * @param partSize multipart part size in bytes, at least {@link #MIN_PART_SIZE}; also the most a writer
 *     buffers, so memory per open writer is bounded by it
 * @param serverSideEncryption how S3 encrypts stored objects
 * @param kmsKeyId the KMS key for {@link ServerSideEncryption#KMS}, or {@code null} for the bucket's default key
 * @param storageClass the storage class for content objects (e.g. {@code STANDARD_IA}), or {@code null} for the
 *     bucket default; the driver's tiny bookkeeping objects always use the default class
 * @param redirect whether {@link S3Driver#redirectUrl} hands out presigned URLs
 * @param redirectValidity the shortest lifetime of a presigned URL (callers may ask for longer, up to 7 days)
 * @param maxRetries retries per request after the first attempt, for throttling, 5xx and connection errors
 * @param retryBaseDelay the first backoff delay; it doubles per retry (with jitter) up to {@code retryMaxDelay}
 * @param retryMaxDelay the longest backoff delay
 * @param connectTimeout how long to wait for a TCP connection
 * @param socketTimeout how long a connection may stay silent mid-request before the attempt fails
 * @param uploadClaimLease how long a writer's claim on an unfinished write stays valid without renewal; a live writer
 *     renews it while it writes, so this only bounds how long a writer that died (or went silent) keeps others from
 *     continuing its upload. Must exceed the longest pause a writer takes between two writes.
 * @param caCertificate a PEM file of certificates that HTTPS endpoints are trusted to chain to (a private CA, or a
 *     server's self-signed certificate) instead of the JVM's trust store, or {@code null} for the JVM's
 */
public record S3DriverConfig(
        String bucket,
        String region,
        URI endpoint,
        boolean pathStyleAccess,
        String accessKey,
        String secretKey,
        String rootPrefix,
        long partSize,
        ServerSideEncryption serverSideEncryption,
        String kmsKeyId,
        String storageClass,
        boolean redirect,
        Duration redirectValidity,
        int maxRetries,
        Duration retryBaseDelay,
        Duration retryMaxDelay,
        Duration connectTimeout,
        Duration socketTimeout,
        Duration uploadClaimLease,
        Path caCertificate) {

    /** S3 rejects multipart parts smaller than this, except the last one. */
    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;

    /** The default part size: 10 MiB, so 10,000 parts cover about 97 GiB. */
    public static final long DEFAULT_PART_SIZE = 10L * 1024 * 1024;

    /** SigV4 presigned URLs cannot live longer than this. */
    public static final Duration MAX_PRESIGN_VALIDITY = Duration.ofDays(7);

    /** Server-side encryption of stored objects. */
    public enum ServerSideEncryption {
        /** No encryption header is sent; the bucket's default applies. */
        NONE(null),
        /** SSE-S3: S3-managed keys. */
        AES256("AES256"),
        /** SSE-KMS, with {@link S3DriverConfig#kmsKeyId()} or the bucket's default KMS key. */
        KMS("aws:kms");

        private final String headerValue;

        ServerSideEncryption(String headerValue) {
            this.headerValue = headerValue;
        }

        /** The {@code x-amz-server-side-encryption} value, or {@code null} for {@link #NONE}. */
        public String headerValue() {
            return headerValue;
        }
    }

    public S3DriverConfig {
        Objects.requireNonNull(bucket, "bucket");
        if (bucket.isBlank()) {
            throw new IllegalArgumentException("bucket must not be blank");
        }
        Objects.requireNonNull(region, "region");
        if ((accessKey == null) != (secretKey == null)) {
            throw new IllegalArgumentException("accessKey and secretKey go together");
        }
        rootPrefix = rootPrefix == null ? "" : trimSlashes(rootPrefix);
        if (partSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException(
                    "partSize must be at least " + MIN_PART_SIZE + " bytes (S3's minimum), was " + partSize);
        }
        if (partSize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("partSize must fit in one in-memory buffer, was " + partSize);
        }
        Objects.requireNonNull(serverSideEncryption, "serverSideEncryption");
        if (kmsKeyId != null && serverSideEncryption != ServerSideEncryption.KMS) {
            throw new IllegalArgumentException("kmsKeyId needs serverSideEncryption KMS");
        }
        requirePositive(redirectValidity, "redirectValidity");
        if (redirectValidity.compareTo(MAX_PRESIGN_VALIDITY) > 0) {
            throw new IllegalArgumentException("redirectValidity must be at most 7 days");
        }
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must not be negative");
        }
        requirePositive(retryBaseDelay, "retryBaseDelay");
        requirePositive(retryMaxDelay, "retryMaxDelay");
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(socketTimeout, "socketTimeout");
        requirePositive(uploadClaimLease, "uploadClaimLease");
    }

    /** A builder with defaults: region {@code us-east-1}, 10 MiB parts, no encryption, redirects off, 3 retries. */
    public static Builder builder(String bucket) {
        return new Builder(bucket);
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        Builder builder = new Builder(bucket);
        builder.region = region;
        builder.endpoint = endpoint;
        builder.pathStyleAccess = pathStyleAccess;
        builder.accessKey = accessKey;
        builder.secretKey = secretKey;
        builder.rootPrefix = rootPrefix;
        builder.partSize = partSize;
        builder.serverSideEncryption = serverSideEncryption;
        builder.kmsKeyId = kmsKeyId;
        builder.storageClass = storageClass;
        builder.redirect = redirect;
        builder.redirectValidity = redirectValidity;
        builder.maxRetries = maxRetries;
        builder.retryBaseDelay = retryBaseDelay;
        builder.retryMaxDelay = retryMaxDelay;
        builder.connectTimeout = connectTimeout;
        builder.socketTimeout = socketTimeout;
        builder.uploadClaimLease = uploadClaimLease;
        builder.caCertificate = caCertificate;
        return builder;
    }

    @Override
    public String toString() {
        // Never print the secret.
        return "S3DriverConfig[bucket=" + bucket + ", region=" + region + ", endpoint=" + endpoint
                + ", pathStyleAccess=" + pathStyleAccess + ", accessKey=" + accessKey
                + ", rootPrefix=" + rootPrefix + ", partSize=" + partSize + ", serverSideEncryption="
                + serverSideEncryption
                + ", storageClass=" + storageClass + ", redirect=" + redirect + ", maxRetries=" + maxRetries + "]";
    }

    private static String trimSlashes(String prefix) {
        int start = 0;
        int end = prefix.length();
        while (start < end && prefix.charAt(start) == '/') {
            start++;
        }
        while (end > start && prefix.charAt(end - 1) == '/') {
            end--;
        }
        return prefix.substring(start, end);
    }

    private static void requirePositive(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }

    /** Mutable builder for {@link S3DriverConfig}. */
    public static final class Builder {
        private final String bucket;
        private String region = "us-east-1";
        private URI endpoint;
        private boolean pathStyleAccess;
        private String accessKey;
        private String secretKey;
        private String rootPrefix = "";
        private long partSize = DEFAULT_PART_SIZE;
        private ServerSideEncryption serverSideEncryption = ServerSideEncryption.NONE;
        private String kmsKeyId;
        private String storageClass;
        private boolean redirect;
        private Duration redirectValidity = Duration.ofMinutes(20);
        private int maxRetries = 3;
        private Duration retryBaseDelay = Duration.ofMillis(100);
        private Duration retryMaxDelay = Duration.ofSeconds(5);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration socketTimeout = Duration.ofSeconds(60);
        private Duration uploadClaimLease = Duration.ofMinutes(2);
        private Path caCertificate;

        private Builder(String bucket) {
            this.bucket = bucket;
        }

        public Builder region(String region) {
            this.region = region;
            return this;
        }

        public Builder endpoint(URI endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        public Builder pathStyleAccess(boolean pathStyleAccess) {
            this.pathStyleAccess = pathStyleAccess;
            return this;
        }

        /** Static credentials; without them the SDK's default credential chain is used. */
        public Builder credentials(String accessKey, String secretKey) {
            this.accessKey = accessKey;
            this.secretKey = secretKey;
            return this;
        }

        public Builder accessKey(String accessKey) {
            this.accessKey = accessKey;
            return this;
        }

        public Builder secretKey(String secretKey) {
            this.secretKey = secretKey;
            return this;
        }

        public Builder rootPrefix(String rootPrefix) {
            this.rootPrefix = rootPrefix;
            return this;
        }

        public Builder partSize(long partSize) {
            this.partSize = partSize;
            return this;
        }

        public Builder serverSideEncryption(ServerSideEncryption serverSideEncryption) {
            this.serverSideEncryption = serverSideEncryption;
            return this;
        }

        /** SSE-KMS with the given key (null: the bucket's default KMS key). */
        public Builder kms(String kmsKeyId) {
            this.serverSideEncryption = ServerSideEncryption.KMS;
            this.kmsKeyId = kmsKeyId;
            return this;
        }

        /** The KMS key for {@link ServerSideEncryption#KMS} (null: the bucket's default KMS key). */
        public Builder kmsKeyId(String kmsKeyId) {
            this.kmsKeyId = kmsKeyId;
            return this;
        }

        public Builder storageClass(String storageClass) {
            this.storageClass = storageClass;
            return this;
        }

        public Builder redirect(boolean redirect) {
            this.redirect = redirect;
            return this;
        }

        public Builder redirectValidity(Duration redirectValidity) {
            this.redirectValidity = redirectValidity;
            return this;
        }

        public Builder maxRetries(int maxRetries) {
            this.maxRetries = maxRetries;
            return this;
        }

        public Builder retryBackoff(Duration baseDelay, Duration maxDelay) {
            this.retryBaseDelay = baseDelay;
            this.retryMaxDelay = maxDelay;
            return this;
        }

        public Builder retryBaseDelay(Duration retryBaseDelay) {
            this.retryBaseDelay = retryBaseDelay;
            return this;
        }

        public Builder retryMaxDelay(Duration retryMaxDelay) {
            this.retryMaxDelay = retryMaxDelay;
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        public Builder socketTimeout(Duration socketTimeout) {
            this.socketTimeout = socketTimeout;
            return this;
        }

        public Builder uploadClaimLease(Duration uploadClaimLease) {
            this.uploadClaimLease = uploadClaimLease;
            return this;
        }

        /** Trust only the certificates in this PEM file for HTTPS (null: the JVM's trust store). */
        public Builder caCertificate(Path caCertificate) {
            this.caCertificate = caCertificate;
            return this;
        }

        public S3DriverConfig build() {
            return new S3DriverConfig(
                    bucket,
                    region,
                    endpoint,
                    pathStyleAccess,
                    accessKey,
                    secretKey,
                    rootPrefix,
                    partSize,
                    serverSideEncryption,
                    kmsKeyId,
                    storageClass,
                    redirect,
                    redirectValidity,
                    maxRetries,
                    retryBaseDelay,
                    retryMaxDelay,
                    connectTimeout,
                    socketTimeout,
                    uploadClaimLease,
                    caCertificate);
        }
    }
}
