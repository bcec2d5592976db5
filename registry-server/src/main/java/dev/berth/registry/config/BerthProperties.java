package dev.berth.registry.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.nio.file.Path;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The core sections under {@code berth.*}. Property names are part of Berth's interface (README's configuration
 * reference); environment variables override them the Spring way, e.g. {@code BERTH_STORAGE_FILESYSTEM_ROOT}.
 *
 * <p>Where properties classes live (one rule): a section read by one feature package is that package's own
 * {@code @ConfigurationProperties} class ({@code berth.cache} is {@code cache.CacheProperties}, {@code berth.tls}
 * is {@code tls.TlsProperties}, ...), and a section that configures a component built outside this module is
 * its own record one-to-one with that component's configuration, beside the wiring that builds it
 * ({@code berth.storage.s3} is {@link S3Properties}, mirroring {@code S3DriverConfig}). The small sections read
 * across packages stay nested here. Every class is {@code @Validated}, with a constraint on every property that
 * has a range.
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

        public Delete getDelete() {
            return delete;
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
