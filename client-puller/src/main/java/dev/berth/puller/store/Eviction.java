package dev.berth.puller.store;

import java.util.List;

/**
 * One layer the store evicted, why, and the image records that went with it (an image needs all its layers).
 *
 * @param layer  the evicted layer (its {@code diskSize} is the bytes freed)
 * @param reason why it went
 * @param images references of the image records removed with it
 */
public record Eviction(LayerInfo layer, Reason reason, List<String> images) {
    public Eviction {
        images = List.copyOf(images);
    }

    /** Why a layer was evicted. */
    public enum Reason {
        /** No image record, mount or snapshot used it any more. */
        UNUSED("no image, mount or snapshot uses it"),
        /** The store was over its budget and this was the least recently used unprotected layer (or above one). */
        OVER_BUDGET("least recently used while the store was over its disk budget");

        private final String description;

        Reason(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }
}
