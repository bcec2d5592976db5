package dev.berth.registry.gc;

import dev.berth.registry.config.BerthProperties;
import java.time.Duration;

/**
 * The settings of one collection.
 *
 * @param gracePeriod     unreferenced blobs younger than this (bytes or last touch) are kept
 * @param keepUntaggedFor untagged manifests written less than this long ago are roots
 * @param settleDelay     wait between announcing and claiming; longer than any manifest PUT and cache TTL
 * @param uploadTtl       upload sessions idle for longer than this are purged
 * @param parallelism     threads for marking repositories and for storage calls while sweeping
 * @param batchSize       objects per batched delete
 * @param dryRun          compute and report only; nothing is written or deleted
 */
public record GcOptions(Duration gracePeriod, Duration keepUntaggedFor, Duration settleDelay, Duration uploadTtl,
                        int parallelism, int batchSize, boolean dryRun) {

    public GcOptions {
        if (gracePeriod.isNegative() || keepUntaggedFor.isNegative() || settleDelay.isNegative()
                || uploadTtl.isNegative()) {
            throw new IllegalArgumentException("garbage collection durations must not be negative");
        }
        parallelism = Math.max(1, parallelism);
        batchSize = Math.max(1, batchSize);
    }

    /** The options {@code berth.gc.*} and {@code berth.uploads.session-ttl} configure. */
    public static GcOptions from(BerthProperties properties, boolean dryRun) {
        BerthProperties.Gc gc = properties.getGc();
        return new GcOptions(gc.getGracePeriod(), gc.getKeepUntaggedFor(), gc.getSettleDelay(),
                properties.getUploads().getSessionTtl(), gc.getParallelism(), gc.getBatchSize(), dryRun);
    }

    public GcOptions withDryRun(boolean dry) {
        return new GcOptions(gracePeriod, keepUntaggedFor, settleDelay, uploadTtl, parallelism, batchSize, dry);
    }
}
