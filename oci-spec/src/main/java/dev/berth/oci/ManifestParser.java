package dev.berth.oci;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Parses and validates manifest bodies of every supported type; schema1 is rejected. */
public final class ManifestParser {
    private static final ObjectMapper JSON = OciJson.mapper();

    private ManifestParser() {}

    /**
     * Parses {@code body}, declared as {@code contentType} (may be null or a generic JSON type).
     *
     * @throws ManifestInvalidException with a message fit for the error detail
     */
    public static ParsedManifest parse(byte[] body, String contentType) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            throw new ManifestInvalidException("manifest is not valid JSON", e);
        }
        if (root == null || !root.isObject()) {
            throw new ManifestInvalidException("manifest must be a JSON object");
        }
        String declared = baseType(contentType);
        JsonNode schemaVersion = root.get("schemaVersion");
        boolean integral = schemaVersion != null && schemaVersion.isIntegralNumber() && schemaVersion.canConvertToInt();
        if (integral && schemaVersion.intValue() == 1
                || declared != null && MediaTypes.SCHEMA1.contains(declared) && !"application/json".equals(declared)) {
            throw new ManifestInvalidException("Docker schema1 manifests are not supported; push schema2 or OCI");
        }
        if (!integral || schemaVersion.intValue() != 2) {
            throw new ManifestInvalidException("schemaVersion must be the integer 2"
                    + (schemaVersion == null ? "" : ", not " + shown(schemaVersion)));
        }
        checkSizes(root);
        String mediaType = effectiveMediaType(root, declared);
        try {
            if (MediaTypes.isIndex(mediaType)) {
                return ofIndex(mediaType, JSON.treeToValue(root, ImageIndex.class));
            }
            return ofImage(mediaType, JSON.treeToValue(root, ImageManifest.class));
        } catch (JacksonException | IllegalArgumentException e) {
            if (e instanceof ManifestInvalidException mie) {
                throw mie;
            }
            throw new ManifestInvalidException(
                    "malformed manifest: " + rootCause(e).getMessage(), e);
        }
    }

    private static String effectiveMediaType(JsonNode root, String declared) {
        JsonNode field = root.get("mediaType");
        String inBody = field != null && field.isString() ? field.asString() : null;
        if (inBody != null && declared != null && MediaTypes.isManifest(declared) && !inBody.equals(declared)) {
            throw new ManifestInvalidException("mediaType " + inBody + " does not match Content-Type " + declared);
        }
        String type = inBody != null ? inBody : declared;
        if (type == null || !MediaTypes.isManifest(type)) {
            // Without a usable declaration, the structure tells: indexes list manifests, images have a config.
            if (root.has("manifests")) {
                type = MediaTypes.OCI_INDEX;
            } else if (root.has("config")) {
                type = MediaTypes.OCI_MANIFEST;
            } else {
                throw new ManifestInvalidException("unsupported manifest media type: " + type);
            }
        }
        return type;
    }

    private static ParsedManifest ofImage(String mediaType, ImageManifest m) {
        if (m.config() == null) {
            throw new ManifestInvalidException("image manifest has no config descriptor");
        }
        List<Descriptor> blobs = new ArrayList<>();
        blobs.add(checked(m.config(), "config"));
        for (Descriptor layer : m.layersOrEmpty()) {
            blobs.add(checked(layer, "layer"));
        }
        if (MediaTypes.DOCKER_MANIFEST.equals(mediaType) && m.layersOrEmpty().isEmpty()) {
            // Docker schema2 images always have layers; OCI artifacts may have none.
            throw new ManifestInvalidException("Docker schema2 manifest has no layers");
        }
        if (m.subject() != null) {
            checked(m.subject(), "subject");
        }
        // The spec treats an empty artifactType like a missing one: the config's media type stands in.
        String artifactType = isBlank(m.artifactType()) ? m.config().mediaType() : m.artifactType();
        return new ParsedManifest(
                mediaType,
                artifactType,
                List.copyOf(blobs),
                List.of(),
                m.subject(),
                m.annotations() == null ? Map.of() : m.annotations(),
                m,
                null);
    }

    private static ParsedManifest ofIndex(String mediaType, ImageIndex index) {
        if (index.manifests() == null) {
            throw new ManifestInvalidException("index has no manifests array");
        }
        List<Descriptor> children = new ArrayList<>();
        for (Descriptor d : index.manifestsOrEmpty()) {
            children.add(checked(d, "manifests[]"));
        }
        if (index.subject() != null) {
            checked(index.subject(), "subject");
        }
        // An index without artifactType has none in the referrers list (no config to fall back on).
        String artifactType = isBlank(index.artifactType()) ? null : index.artifactType();
        return new ParsedManifest(
                mediaType,
                artifactType,
                List.of(),
                List.copyOf(children),
                index.subject(),
                index.annotations() == null ? Map.of() : index.annotations(),
                null,
                index);
    }

    /**
     * Checks the {@code size} of every descriptor in the tree before it is bound to a {@code long}: it must be
     * present, a JSON integer from 0 to 2^63-1. Floats ({@code 1.5}, {@code 1e3}), strings, booleans, null and values that
     * overflow are refused with a message naming the field, rather than rounded, coerced or left to the binder.
     */
    private static void checkSizes(JsonNode root) {
        checkSize(root.get("config"), "config");
        checkSizes(root.get("layers"), "layers");
        checkSizes(root.get("manifests"), "manifests");
        checkSize(root.get("subject"), "subject");
    }

    private static void checkSizes(JsonNode descriptors, String field) {
        if (descriptors != null && descriptors.isArray()) {
            for (int i = 0; i < descriptors.size(); i++) {
                checkSize(descriptors.get(i), field + "[" + i + "]");
            }
        }
    }

    private static void checkSize(JsonNode descriptor, String where) {
        if (descriptor == null || !descriptor.isObject()) {
            return; // no descriptor: the binding and checked() deal with the shape
        }
        JsonNode size = descriptor.get("size");
        if (size == null) {
            // Left out, it would bind to 0: a descriptor that promises an empty blob.
            throw new ManifestInvalidException(where + ".size is required");
        }
        if (!size.isIntegralNumber()) {
            throw new ManifestInvalidException(where + ".size must be an integer, not " + shown(size));
        }
        if (!size.canConvertToLong()) {
            throw new ManifestInvalidException(
                    where + ".size " + shown(size) + " is out of range (at most " + Long.MAX_VALUE + ")");
        }
        if (size.longValue() < 0) {
            throw new ManifestInvalidException(where + ".size must not be negative, not " + shown(size));
        }
    }

    /** A JSON value as it was written, cut short: for messages. */
    private static String shown(JsonNode value) {
        String text = value.toString();
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }

    private static Descriptor checked(Descriptor d, String what) {
        if (d == null
                || d.digest() == null
                || d.mediaType() == null
                || d.mediaType().isEmpty()) {
            throw new ManifestInvalidException(what + " descriptor needs mediaType and digest");
        }
        if (d.size() < 0) {
            throw new ManifestInvalidException(what + " descriptor has a negative size");
        }
        return d;
    }

    /** {@code application/x; charset=utf-8} to {@code application/x}. */
    public static String baseType(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(java.util.Locale.ROOT);
    }

    private static boolean isBlank(String s) {
        return s == null || s.isEmpty();
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
