package dev.berth.puller.pull;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.puller.registry.ResolvedImage;

/**
 * What a pull reports as it goes: for progress bars, JSON event lines and metrics. Methods of different
 * layers are called from different threads.
 */
public interface PullListener {
    PullListener NONE = new PullListener() {};

    default void resolved(ResolvedImage image) {}

    /** The layer is already in the store (under its ChainID): nothing is downloaded. */
    default void layerPresent(int index, Descriptor layer, Digest chainId) {}

    default void layerStarted(int index, Descriptor layer) {}

    /** {@code bytes} more compressed bytes of the layer arrived. */
    default void layerProgress(int index, long bytes) {}

    /** The connection broke; the download continues from {@code position}. */
    default void layerResuming(int index, long position, int attempt, Exception cause) {}

    /** The layer failed in a way resuming cannot fix; it starts again from scratch. */
    default void layerRetrying(int index, int attempt, Exception cause) {}

    default void layerDone(int index, Descriptor layer, Digest chainId) {}

    default void layerFailed(int index, Descriptor layer, Exception cause) {}

    default void pulled(PullResult result) {}
}
