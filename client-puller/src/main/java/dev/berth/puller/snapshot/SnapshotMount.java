package dev.berth.puller.snapshot;

import java.util.List;

/**
 * A mount handed to containerd as data (containerd mounts it): {@code overlay} with lowerdir/upperdir/workdir
 * options, or {@code bind} with {@code rbind} and {@code ro}/{@code rw}.
 */
public record SnapshotMount(String type, String source, List<String> options) {
    public SnapshotMount {
        options = List.copyOf(options);
    }
}
