package dev.berth.registry.gc;

import java.time.Instant;

/**
 * What one collection did (or, in a dry run, would do); serialised as JSON by the admin endpoint, the
 * {@code gc} command and into storage ({@code /v2/_gc/report}).
 *
 * @param dryRun               nothing was changed
 * @param startedAt            T0, read from the storage's clock
 * @param durationMillis       wall time of the whole run, settle delay included
 * @param settleMillis         of which waiting for writes to settle
 * @param repositoriesScanned  repositories marked (in the last mark)
 * @param manifestsKept        manifest revisions kept, over all repositories
 * @param manifestsDeleted     revisions deleted (dry run: that would be)
 * @param manifestsRescued     revisions announced for deletion but then kept (re-pushed or newly tagged)
 * @param blobsScanned         blobs in the global store
 * @param blobsKept            blobs kept (referenced, or within the grace period)
 * @param blobsDeleted         blobs deleted (dry run: that would be)
 * @param blobsRescued         blobs announced for deletion but then kept (a writer rescued them)
 * @param bytesFreed           size of the deleted blobs
 * @param uploadsPurged        stale upload sessions deleted
 * @param leftoversSwept       private driver objects a crash left behind, older than the grace period, deleted
 * @param blobsPerSecond       blobs scanned per second of work (settle delay excluded)
 */
public record GcReport(
        boolean dryRun,
        Instant startedAt,
        long durationMillis,
        long settleMillis,
        int repositoriesScanned,
        long manifestsKept,
        long manifestsDeleted,
        long manifestsRescued,
        long blobsScanned,
        long blobsKept,
        long blobsDeleted,
        long blobsRescued,
        long bytesFreed,
        long uploadsPurged,
        long leftoversSwept,
        double blobsPerSecond) {

    static Builder builder() {
        return new Builder();
    }

    /** The counts of a run by name, as the run learns them; {@link #finish} adds the timing. */
    static final class Builder {
        private boolean dryRun;
        private Instant startedAt;
        private int repositoriesScanned;
        private long manifestsKept;
        private long manifestsDeleted;
        private long manifestsRescued;
        private long blobsScanned;
        private long blobsKept;
        private long blobsDeleted;
        private long blobsRescued;
        private long bytesFreed;
        private long uploadsPurged;
        private long leftoversSwept;

        Builder dryRun(boolean value) {
            dryRun = value;
            return this;
        }

        Builder startedAt(Instant value) {
            startedAt = value;
            return this;
        }

        Builder repositoriesScanned(int value) {
            repositoriesScanned = value;
            return this;
        }

        Builder manifestsKept(long value) {
            manifestsKept = value;
            return this;
        }

        Builder manifestsDeleted(long value) {
            manifestsDeleted = value;
            return this;
        }

        Builder manifestsRescued(long value) {
            manifestsRescued = value;
            return this;
        }

        Builder blobsScanned(long value) {
            blobsScanned = value;
            return this;
        }

        Builder blobsKept(long value) {
            blobsKept = value;
            return this;
        }

        Builder blobsDeleted(long value) {
            blobsDeleted = value;
            return this;
        }

        Builder blobsRescued(long value) {
            blobsRescued = value;
            return this;
        }

        Builder bytesFreed(long value) {
            bytesFreed = value;
            return this;
        }

        Builder uploadsPurged(long value) {
            uploadsPurged = value;
            return this;
        }

        Builder leftoversSwept(long value) {
            leftoversSwept = value;
            return this;
        }

        /** The report of a run that began at {@code startNanos} ({@link System#nanoTime}) and waited to settle. */
        GcReport finish(long startNanos, long settleNanos) {
            long total = System.nanoTime() - startNanos;
            double workSeconds = Math.max(1e-6, (total - settleNanos) / 1e9);
            double rate = Math.round(blobsScanned / workSeconds * 10) / 10.0;
            return new GcReport(
                    dryRun,
                    startedAt,
                    total / 1_000_000,
                    settleNanos / 1_000_000,
                    repositoriesScanned,
                    manifestsKept,
                    manifestsDeleted,
                    manifestsRescued,
                    blobsScanned,
                    blobsKept,
                    blobsDeleted,
                    blobsRescued,
                    bytesFreed,
                    uploadsPurged,
                    leftoversSwept,
                    rate);
        }
    }
}
