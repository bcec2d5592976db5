package dev.berth.puller.store;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.berth.oci.Digest;
import java.util.Map;

/**
 * One containerd snapshot ({@code snapshots/meta/<namespace>/<hash of key>.json}). {@code dir} or
 * {@code layer} says where its own files are; a view of a parent has neither.
 *
 * @param namespace the containerd namespace it belongs to
 * @param key       its key (for a committed snapshot: its name)
 * @param kind      view, active or committed
 * @param parent    key of the committed snapshot below, or null
 * @param labels    containerd's labels
 * @param created   epoch millis
 * @param updated   epoch millis of the last change of labels
 * @param dir       id of its directory under {@code snapshots/dirs/}, or null
 * @param layer     ChainID of the layer in {@code layers/} that holds it (a committed snapshot), or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SnapshotRecord(
        String namespace,
        String key,
        Kind kind,
        String parent,
        Map<String, String> labels,
        long created,
        long updated,
        String dir,
        Digest layer) {

    public SnapshotRecord {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        if (dir != null && layer != null) {
            throw new IllegalArgumentException("a snapshot lives in a directory or in a layer, not both: " + key);
        }
    }

    public SnapshotRecord withLabels(Map<String, String> newLabels, long now) {
        return new SnapshotRecord(namespace, key, kind, parent, newLabels, created, now, dir, layer);
    }

    /** The three kinds of containerd snapshot. */
    public enum Kind {
        /** A read-only view of a committed snapshot. */
        VIEW,
        /** Writable; becomes committed by Commit. */
        ACTIVE,
        /** Immutable; a parent for others. */
        COMMITTED
    }
}
