package dev.berth.registry.gc;

/** The steps of one collection, in order (see the package documentation). */
public enum GcPhase {
    /** Read the storage clock (T0) and mark from tags, young untagged manifests, children and referrers. */
    MARK,
    /** Write a deletion intent next to every unmarked blob and manifest revision. */
    ANNOUNCE,
    /** Wait {@code berth.gc.settle-delay}, so writes that started before an intent have landed. */
    SETTLE,
    /** Mark again; revisions and tags written since T0 are roots too. Withdraw intents for what is now kept. */
    REMARK,
    /** Claim each remaining revision intent, then delete its referrers entries and its link. */
    SWEEP_MANIFESTS,
    /** Claim each remaining blob intent, re-check its age, unlink it from repositories, then delete its bytes. */
    SWEEP_BLOBS,
    /** Delete upload sessions idle for longer than {@code berth.uploads.session-ttl}. */
    PURGE_UPLOADS,
    /** Delete what crashed writers left in the driver's private area, older than the grace period. */
    SWEEP_LEFTOVERS
}
