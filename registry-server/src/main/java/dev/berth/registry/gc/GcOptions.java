package dev.berth.registry.gc;

import dev.berth.registry.config.BerthProperties;
import java.time.Duration;

/**
 * The settings of one collection; build it with {@link #builder()} (defaults are those of {@code berth.gc.*}).
 *
 * @param gracePeriod     unreferenced blobs younger than this (bytes or last touch) are kept
 * @param keepUntaggedFor untagged manifests written less than this long ago are roots
 * @param settleDelay     wait between announcing and claiming; longer than any manifest PUT and cache TTL
 * @param uploadTtl       upload sessions idle for longer than this are purged
 * @param parallelism     threads for marking repositories and for storage calls while sweeping
 * @param batchSize       objects per batched delete
 * @param dryRun          compute and report only; nothing is written or deleted
 */
public record GcOptions(
        Duration gracePeriod,
        Duration keepUntaggedFor,
        Duration settleDelay,
        Duration uploadTtl,
        int parallelism,
        int batchSize,
        boolean dryRun) {

    public GcOptions {
        if (gracePeriod.isNegative()
                || keepUntaggedFor.isNegative()
                || settleDelay.isNegative()
                || uploadTtl.isNegative()) {
            throw new IllegalArgumentException("garbage collection durations must not be negative");
        }
        parallelism = Math.max(1, parallelism);
        batchSize = Math.max(1, batchSize);
    }

    /** The options {@code berth.gc.*} and {@code berth.uploads.session-ttl} configure. */
    public static GcOptions from(BerthProperties properties, boolean dryRun) {
        BerthProperties.Gc gc = properties.getGc();
        return builder()
                .gracePeriod(gc.getGracePeriod())
                .keepUntaggedFor(gc.getKeepUntaggedFor())
                .settleDelay(gc.getSettleDelay())
                .uploadTtl(properties.getUploads().getSessionTtl())
                .parallelism(gc.getParallelism())
                .batchSize(gc.getBatchSize())
                .dryRun(dryRun)
                .build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public GcOptions withDryRun(boolean dry) {
        return new GcOptions(gracePeriod, keepUntaggedFor, settleDelay, uploadTtl, parallelism, batchSize, dry);
    }

    /** Named settings, with the defaults of {@code berth.gc.*} and {@code berth.uploads.session-ttl}. */
    public static final class Builder {
        private Duration gracePeriod = Duration.ofHours(1);
        private Duration keepUntaggedFor = Duration.ofDays(7);
        private Duration settleDelay = Duration.ofMinutes(5);
        private Duration uploadTtl = Duration.ofHours(24);
        private int parallelism = 4;
        private int batchSize = 500;
        private boolean dryRun;

        private Builder() {}

        public Builder gracePeriod(Duration value) {
            gracePeriod = value;
            return this;
        }

        public Builder keepUntaggedFor(Duration value) {
            keepUntaggedFor = value;
            return this;
        }

        public Builder settleDelay(Duration value) {
            settleDelay = value;
            return this;
        }

        public Builder uploadTtl(Duration value) {
            uploadTtl = value;
            return this;
        }

        public Builder parallelism(int value) {
            parallelism = value;
            return this;
        }

        public Builder batchSize(int value) {
            batchSize = value;
            return this;
        }

        public Builder dryRun(boolean value) {
            dryRun = value;
            return this;
        }

        public GcOptions build() {
            return new GcOptions(gracePeriod, keepUntaggedFor, settleDelay, uploadTtl, parallelism, batchSize, dryRun);
        }
    }
}
