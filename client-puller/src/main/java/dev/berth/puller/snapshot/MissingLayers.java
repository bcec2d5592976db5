package dev.berth.puller.snapshot;

import dev.berth.oci.Digest;
import dev.berth.oci.ImageReference;
import dev.berth.puller.pull.PullListener;
import dev.berth.puller.pull.Puller;
import dev.berth.puller.store.Store;
import java.io.IOException;

/**
 * Brings a layer containerd is about to fetch into the store first, with Berth's own streaming pipeline. CRI
 * names the image a layer belongs to in the {@code containerd.io/snapshot/cri.image-ref} label (with
 * {@code disable_snapshot_annotations = false}); pulling that image leaves the layer under its ChainID, and
 * the snapshotter then answers as for any layer the store holds.
 */
@FunctionalInterface
public interface MissingLayers {
    /** Leaves containerd to fetch and unpack. */
    MissingLayers NONE = (imageRef, chainId) -> false;

    /** @return whether the store now holds {@code chainId} */
    boolean fetch(String imageRef, Digest chainId) throws IOException;

    /** With Berth's puller into {@code store}: the whole image, so its other layers are there for the next call. */
    static MissingLayers pulling(Store store, Puller puller) {
        return (imageRef, chainId) -> {
            puller.pull(ImageReference.parse(imageRef), PullListener.NONE);
            return store.layers().exists(chainId);
        };
    }
}
