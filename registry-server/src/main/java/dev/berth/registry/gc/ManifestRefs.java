package dev.berth.registry.gc;

import dev.berth.oci.Digest;
import dev.berth.oci.InvalidDigestException;
import dev.berth.oci.OciJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The references a manifest body holds: blobs (config, layers, blobs) and child manifests (an index's
 * manifests). Bodies are immutable, so one read per run serves every mark.
 */
record ManifestRefs(List<Digest> blobs, List<Digest> children) {
    static final ManifestRefs NONE = new ManifestRefs(List.of(), List.of());

    /**
     * Reads the references leniently from the JSON: bodies were validated on push, and a collector must not lose
     * references over a field that a stricter parser dislikes. A body that is not JSON at all fails the run.
     */
    static ManifestRefs parse(Digest manifest, byte[] body) {
        JsonNode root;
        try {
            root = OciJson.mapper().readTree(body);
        } catch (JacksonException e) {
            throw new UncheckedIOException(new IOException(
                    "gc: manifest " + manifest + " is not JSON; refusing to " + "guess what it references"));
        }
        List<Digest> blobs = new ArrayList<>();
        List<Digest> children = new ArrayList<>();
        addDigest(root.get("config"), blobs);
        for (String field : List.of("layers", "blobs")) {
            JsonNode array = root.get(field);
            if (array != null && array.isArray()) {
                array.forEach(d -> addDigest(d, blobs));
            }
        }
        JsonNode manifests = root.get("manifests");
        if (manifests != null && manifests.isArray()) {
            manifests.forEach(d -> addDigest(d, children));
        }
        return new ManifestRefs(List.copyOf(blobs), List.copyOf(children));
    }

    private static void addDigest(JsonNode descriptor, List<Digest> into) {
        if (descriptor == null || !descriptor.isObject()) {
            return;
        }
        JsonNode digest = descriptor.get("digest");
        if (digest != null && digest.isString()) {
            try {
                into.add(Digest.parse(digest.asString()));
            } catch (InvalidDigestException e) {
                // not something we store
            }
        }
    }
}
