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
public record GcReport(boolean dryRun, Instant startedAt, long durationMillis, long settleMillis,
                       int repositoriesScanned, long manifestsKept, long manifestsDeleted, long manifestsRescued,
                       long blobsScanned, long blobsKept, long blobsDeleted, long blobsRescued, long bytesFreed,
                       long uploadsPurged, long leftoversSwept, double blobsPerSecond) {
}
