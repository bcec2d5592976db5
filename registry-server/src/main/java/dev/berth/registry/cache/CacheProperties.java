package dev.berth.registry.cache;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/** {@code berth.cache.*}: the in-process caches of storage reads ({@link RegistryCaches}). */
@ConfigurationProperties("berth.cache")
@Validated
public class CacheProperties {
    /** Whether storage reads are cached at all; off, every request reads storage. */
    private boolean enabled = true;
    /**
     * Lifetime of entries that another replica may change under this one: tags, manifest revisions, blob
     * existence and repository links. It bounds how long this replica can miss another's tag move or delete.
     * Must be shorter than {@code berth.gc.settle-delay} (checked at startup).
     */
    @NotNull
    @DurationMin(seconds = 0, message = "must not be negative")
    private Duration ttl = Duration.ofSeconds(5);
    /** Most entries in each of the tag, revision, blob and link caches. */
    @Min(value = 0, message = "must be 0 or more")
    private long maxEntries = 10_000;
    /** Total size of cached manifest bodies (immutable by digest, so kept until evicted by size). */
    @NotNull
    private DataSize maxManifestBytes = DataSize.ofMegabytes(32);

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Duration getTtl() {
        return ttl;
    }

    public void setTtl(Duration ttl) {
        this.ttl = ttl;
    }

    public long getMaxEntries() {
        return maxEntries;
    }

    public void setMaxEntries(long maxEntries) {
        this.maxEntries = maxEntries;
    }

    public DataSize getMaxManifestBytes() {
        return maxManifestBytes;
    }

    public void setMaxManifestBytes(DataSize maxManifestBytes) {
        this.maxManifestBytes = maxManifestBytes;
    }
}
