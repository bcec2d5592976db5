package dev.berth.registry.gc;

/**
 * Called by {@link GarbageCollector} before each phase. Tests use it to interleave writes deterministically
 * with a collection (e.g. push a manifest between {@link GcPhase#ANNOUNCE} and {@link GcPhase#SWEEP_BLOBS});
 * production code passes {@link #NONE}.
 */
@FunctionalInterface
public interface GcHooks {
    GcHooks NONE = phase -> {};

    void before(GcPhase phase) throws InterruptedException;
}
