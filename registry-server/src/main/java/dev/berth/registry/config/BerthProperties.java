package dev.berth.registry.config;

import dev.berth.storage.s3.S3DriverConfig;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Everything under {@code berth.*}. Property names are part of Berth's interface (README's configuration
 * reference); environment variables override them the Spring way, e.g. {@code BERTH_STORAGE_FILESYSTEM_ROOT}.
 */
@ConfigurationProperties("berth")
@Validated
public class BerthProperties {
    @Valid
    private final Storage storage = new Storage();
    @Valid
    private final Uploads uploads = new Uploads();
    @Valid
    private final Manifests manifests = new Manifests();
    @Valid
    private final Gc gc = new Gc();
    /**
     * Start in read-only mode: every write under {@code /v2} answers {@code UNSUPPORTED} (405); garbage
     * collection still runs. Switched at runtime with {@code PUT /admin/read-only}, per process.
     */
    private boolean readOnly;
    private final AccessLog accessLog = new AccessLog();
    @Valid
    private final Health health = new Health();

    public Storage getStorage() {
        return storage;
    }

    public Uploads getUploads() {
        return uploads;
    }

    public Manifests getManifests() {
        return manifests;
    }

    public Gc getGc() {
        return gc;
    }

    public boolean isReadOnly() {
        return readOnly;
    }

    public void setReadOnly(boolean readOnly) {
        this.readOnly = readOnly;
    }

    public AccessLog getAccessLog() {
        return accessLog;
    }

    public Health getHealth() {
        return health;
    }

    /** The access log: one line per request on logger {@code berth.access}. */
    public static class AccessLog {
        /** Whether to write it. */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    /** The storage check of {@code /actuator/health} (and its readiness group). */
    public static class Health {
        /** How long the storage check may take before storage counts as DOWN. */
        @NotNull
        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        private Duration storageTimeout = Duration.ofSeconds(5);

        public Duration getStorageTimeout() {
            return storageTimeout;
        }

        public void setStorageTimeout(Duration storageTimeout) {
            this.storageTimeout = storageTimeout;
        }
    }

    public static class Storage {
        /** Which driver stores content: {@code filesystem} or {@code s3}. */
        @NotNull
        @Pattern(regexp = "filesystem|s3", message = "must be filesystem or s3")
        private String driver = "filesystem";
        @Valid
        private final Filesystem filesystem = new Filesystem();
        @Valid
        private final S3 s3 = new S3();
        private final Delete delete = new Delete();

        public String getDriver() {
            return driver;
        }

        public void setDriver(String driver) {
            this.driver = driver;
        }

        public Filesystem getFilesystem() {
            return filesystem;
        }

        public S3 getS3() {
            return s3;
        }

        public Delete getDelete() {
            return delete;
        }
    }

    /**
     * The S3 driver ({@code berth.storage.driver=s3}); see {@code S3DriverConfig} for what each setting does. Every
     * replica pointing at the same bucket and root prefix serves the same registry.
     */
    public static class S3 {
        /** The bucket; it must exist. Required. */
        private String bucket;
        /** The signing region; S3-compatible servers usually accept any. */
        @NotBlank(message = "must be set (any value for most S3-compatible servers)")
        private String region = "us-east-1";
        /** Endpoint override for S3-compatible servers ({@code http://minio:9000}); empty for AWS. */
        private URI endpoint;
        /** Address buckets as {@code endpoint/bucket/key}; most S3-compatible servers need it. */
        private boolean pathStyleAccess;
        /** Static credentials; when unset (with the secret), the AWS SDK's default credential chain applies. */
        private String accessKey;
        /** The secret for {@code access-key}. */
        private String secretKey;
        /** Key prefix under which the whole tree lives; empty for the bucket root. */
        private String rootPrefix = "";
        /** Multipart part size (at least 5MB); also the most memory one open upload buffers. */
        private DataSize partSize = DataSize.ofMegabytes(10);
        /** {@code none}, {@code aes256} (SSE-S3) or {@code kms} (SSE-KMS). */
        private S3DriverConfig.ServerSideEncryption serverSideEncryption = S3DriverConfig.ServerSideEncryption.NONE;
        /** The KMS key for {@code server-side-encryption=kms}; empty for the bucket's default key. */
        private String kmsKeyId;
        /** Storage class of content objects (e.g. {@code STANDARD_IA}); empty for the bucket default. */
        private String storageClass;
        /** Answer blob GETs with a 307 redirect to a presigned S3 URL instead of streaming the bytes. */
        private boolean redirect;
        /** Lifetime of presigned redirect URLs (at most 7 days). */
        @NotNull
        @DurationMin(seconds = 1, message = "must be at least 1s")
        @DurationMax(days = 7, message = "must be at most 7d (the longest a presigned URL lives)")
        private Duration redirectValidity = Duration.ofMinutes(20);
        /** Retries per S3 request after the first attempt (throttling, 5xx, connection errors). */
        @Min(value = 0, message = "must be 0 or more")
        private int maxRetries = 3;
        /** First retry backoff; doubles per retry, with jitter. */
        @NotNull
        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        private Duration retryBaseDelay = Duration.ofMillis(100);
        /** Longest retry backoff. */
        @NotNull
        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        private Duration retryMaxDelay = Duration.ofSeconds(5);
        /** TCP connect timeout. */
        @NotNull
        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        private Duration connectTimeout = Duration.ofSeconds(5);
        /** How long a connection may stay silent mid-request. */
        @NotNull
        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        private Duration socketTimeout = Duration.ofSeconds(60);
        /**
         * How long a request that died keeps other replicas from continuing its upload; live requests renew their
         * claim while bytes flow. Must exceed the longest pause of a client within one PATCH.
         */
        @NotNull
        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        private Duration uploadClaimLease = Duration.ofMinutes(2);
        /**
         * PEM file of the certificates an HTTPS endpoint must chain to (a private CA, or the server's self-signed
         * certificate), instead of the JVM's trust store; empty for the JVM's.
         */
        private Path caCertificate;
        /**
         * Probe the bucket at start-up for every guarantee the driver relies on (conditional writes above all) and
         * refuse to start without one; see {@code S3CompatibilityCheck}.
         */
        private boolean compatibilityCheck = true;

        public String getBucket() {
            return bucket;
        }

        public void setBucket(String bucket) {
            this.bucket = bucket;
        }

        public String getRegion() {
            return region;
        }

        public void setRegion(String region) {
            this.region = region;
        }

        public URI getEndpoint() {
            return endpoint;
        }

        public void setEndpoint(URI endpoint) {
            this.endpoint = endpoint;
        }

        public boolean isPathStyleAccess() {
            return pathStyleAccess;
        }

        public void setPathStyleAccess(boolean pathStyleAccess) {
            this.pathStyleAccess = pathStyleAccess;
        }

        public String getAccessKey() {
            return accessKey;
        }

        public void setAccessKey(String accessKey) {
            this.accessKey = accessKey;
        }

        public String getSecretKey() {
            return secretKey;
        }

        public void setSecretKey(String secretKey) {
            this.secretKey = secretKey;
        }

        public String getRootPrefix() {
            return rootPrefix;
        }

        public void setRootPrefix(String rootPrefix) {
            this.rootPrefix = rootPrefix;
        }

        public DataSize getPartSize() {
            return partSize;
        }

        public void setPartSize(DataSize partSize) {
            this.partSize = partSize;
        }

        public S3DriverConfig.ServerSideEncryption getServerSideEncryption() {
            return serverSideEncryption;
        }

        public void setServerSideEncryption(S3DriverConfig.ServerSideEncryption serverSideEncryption) {
            this.serverSideEncryption = serverSideEncryption;
        }

        public String getKmsKeyId() {
            return kmsKeyId;
        }

        public void setKmsKeyId(String kmsKeyId) {
            this.kmsKeyId = kmsKeyId;
        }

        public String getStorageClass() {
            return storageClass;
        }

        public void setStorageClass(String storageClass) {
            this.storageClass = storageClass;
        }

        public boolean isRedirect() {
            return redirect;
        }

        public void setRedirect(boolean redirect) {
            this.redirect = redirect;
        }

        public Duration getRedirectValidity() {
            return redirectValidity;
        }

        public void setRedirectValidity(Duration redirectValidity) {
            this.redirectValidity = redirectValidity;
        }

        public int getMaxRetries() {
            return maxRetries;
        }

        public void setMaxRetries(int maxRetries) {
            this.maxRetries = maxRetries;
        }

        public Duration getRetryBaseDelay() {
            return retryBaseDelay;
        }

        public void setRetryBaseDelay(Duration retryBaseDelay) {
            this.retryBaseDelay = retryBaseDelay;
        }

        public Duration getRetryMaxDelay() {
            return retryMaxDelay;
        }

        public void setRetryMaxDelay(Duration retryMaxDelay) {
            this.retryMaxDelay = retryMaxDelay;
        }

        public Duration getConnectTimeout() {
            return connectTimeout;
        }

        public void setConnectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
        }

        public Duration getSocketTimeout() {
            return socketTimeout;
        }

        public void setSocketTimeout(Duration socketTimeout) {
            this.socketTimeout = socketTimeout;
        }

        public Duration getUploadClaimLease() {
            return uploadClaimLease;
        }

        public void setUploadClaimLease(Duration uploadClaimLease) {
            this.uploadClaimLease = uploadClaimLease;
        }

        public Path getCaCertificate() {
            return caCertificate;
        }

        public void setCaCertificate(Path caCertificate) {
            this.caCertificate = caCertificate;
        }

        public boolean isCompatibilityCheck() {
            return compatibilityCheck;
        }

        public void setCompatibilityCheck(boolean compatibilityCheck) {
            this.compatibilityCheck = compatibilityCheck;
        }
    }

    public static class Filesystem {
        /** Directory that holds all content; created when missing. */
        @NotNull(message = "must be a directory")
        private Path root = Path.of("./data");

        public Path getRoot() {
            return root;
        }

        public void setRoot(Path root) {
            this.root = root;
        }
    }

    public static class Delete {
        /** Whether DELETE of manifests, tags and blobs is allowed; when off they answer UNSUPPORTED. */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    public static class Uploads {
        /**
         * Save each upload's running digest to storage after every request, so any replica continues hashing
         * where another stopped (for load balancers without sticky sessions). Off: the digest stays in memory
         * and hashes several times faster; an upload continued on another replica is re-read at its final PUT.
         */
        private boolean portableDigestState = false;
        /** The smallest PATCH chunk the registry asks clients for, sent as {@code OCI-Chunk-Min-Length}. */
        @NotNull
        private DataSize chunkMinLength = DataSize.ofMegabytes(5);
        /** Largest blob accepted in one upload. */
        @NotNull
        private DataSize maxBlobSize = DataSize.ofGigabytes(64);
        /** Upload sessions idle for longer than this may be purged. */
        @NotNull
        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        private Duration sessionTtl = Duration.ofHours(24);
        /** How often this replica purges upload sessions older than {@code session-ttl}; 0 turns it off. */
        @NotNull
        @DurationMin(seconds = 0, message = "must not be negative (0 turns purging off)")
        private Duration purgeInterval = Duration.ofHours(1);

        public boolean isPortableDigestState() {
            return portableDigestState;
        }

        public void setPortableDigestState(boolean portableDigestState) {
            this.portableDigestState = portableDigestState;
        }

        public DataSize getChunkMinLength() {
            return chunkMinLength;
        }

        public void setChunkMinLength(DataSize chunkMinLength) {
            this.chunkMinLength = chunkMinLength;
        }

        public DataSize getMaxBlobSize() {
            return maxBlobSize;
        }

        public void setMaxBlobSize(DataSize maxBlobSize) {
            this.maxBlobSize = maxBlobSize;
        }

        public Duration getSessionTtl() {
            return sessionTtl;
        }

        public void setSessionTtl(Duration sessionTtl) {
            this.sessionTtl = sessionTtl;
        }

        public Duration getPurgeInterval() {
            return purgeInterval;
        }

        public void setPurgeInterval(Duration purgeInterval) {
            this.purgeInterval = purgeInterval;
        }
    }

    public static class Manifests {
        /** Largest manifest body accepted (the spec suggests at least 4 MiB). */
        @NotNull
        private DataSize maxSize = DataSize.ofMegabytes(4);
        /** Most {@code tag} parameters one manifest PUT by digest may carry; more are refused with TAG_INVALID. */
        @Min(value = 1, message = "must be at least 1")
        private int maxTagsPerPush = 100;

        public DataSize getMaxSize() {
            return maxSize;
        }

        public void setMaxSize(DataSize maxSize) {
            this.maxSize = maxSize;
        }

        public int getMaxTagsPerPush() {
            return maxTagsPerPush;
        }

        public void setMaxTagsPerPush(int maxTagsPerPush) {
            this.maxTagsPerPush = maxTagsPerPush;
        }
    }

    /** Online garbage collection ({@code dev.berth.registry.gc}). */
    public static class Gc {
        /**
         * An unreferenced blob is deleted only once its bytes, and the last time a writer relied on it (upload of
         * the same bytes, mount), are older than this. Must exceed the longest time a client takes between
         * uploading blobs and pushing the manifest that references them.
         */
        @NotNull
        @DurationMin(seconds = 0, message = "must not be negative")
        private Duration gracePeriod = Duration.ofHours(1);
        /** Untagged manifests written less than this long ago are kept, with everything they reference. */
        @NotNull
        @DurationMin(seconds = 0, message = "must not be negative")
        private Duration keepUntaggedFor = Duration.ofDays(7);
        /**
         * Wait between announcing deletions and carrying them out. Must exceed the longest manifest PUT
         * (from its first rescue to its revision write) and the TTL of any cache of blob or manifest existence.
         */
        @NotNull
        @DurationMin(seconds = 0, message = "must not be negative")
        private Duration settleDelay = Duration.ofMinutes(5);
        /**
         * When to collect: a Spring cron expression ({@code 0 0 3 * * *}) or an interval ({@code 6h},
         * {@code PT6H}). Empty: never on a schedule (the admin endpoint and the {@code gc} command still work).
         */
        @NotNull
        private String schedule = "";
        /** Repositories marked in parallel, and parallel storage calls while sweeping. */
        @Min(value = 1, message = "must be between 1 and 256")
        @Max(value = 256, message = "must be between 1 and 256")
        private int parallelism = 4;
        /** Objects per batched delete. */
        @Min(value = 1, message = "must be between 1 and 1000 (S3 deletes at most 1000 objects per request)")
        @Max(value = 1000, message = "must be between 1 and 1000 (S3 deletes at most 1000 objects per request)")
        private int batchSize = 500;

        public Duration getGracePeriod() {
            return gracePeriod;
        }

        public void setGracePeriod(Duration gracePeriod) {
            this.gracePeriod = gracePeriod;
        }

        public Duration getKeepUntaggedFor() {
            return keepUntaggedFor;
        }

        public void setKeepUntaggedFor(Duration keepUntaggedFor) {
            this.keepUntaggedFor = keepUntaggedFor;
        }

        public Duration getSettleDelay() {
            return settleDelay;
        }

        public void setSettleDelay(Duration settleDelay) {
            this.settleDelay = settleDelay;
        }

        public String getSchedule() {
            return schedule;
        }

        public void setSchedule(String schedule) {
            this.schedule = schedule;
        }

        public int getParallelism() {
            return parallelism;
        }

        public void setParallelism(int parallelism) {
            this.parallelism = parallelism;
        }

        public int getBatchSize() {
            return batchSize;
        }

        public void setBatchSize(int batchSize) {
            this.batchSize = batchSize;
        }
    }
}
