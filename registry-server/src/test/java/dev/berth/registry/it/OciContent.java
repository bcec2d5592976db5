package dev.berth.registry.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Generated OCI content for tests: tar+gzip layers, image configs, manifests, indexes, and OCI image layout
 * directories that skopeo reads and writes.
 */
public final class OciContent {
    public static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    private static final Date EPOCH = new Date(0);

    private OciContent() {}

    /** Content with its media type; the digest is computed once. */
    public record Blob(String mediaType, byte[] content, String digest) {
        public Blob(String mediaType, byte[] content) {
            this(mediaType, content, Digests.sha256(content));
        }

        public long size() {
            return content.length;
        }

        public ObjectNode descriptor() {
            ObjectNode d = RegistryHttp.JSON.createObjectNode();
            d.put("mediaType", mediaType);
            d.put("digest", digest);
            d.put("size", content.length);
            return d;
        }

        @Override
        public String toString() {
            return mediaType + " " + digest + " (" + content.length + " bytes)";
        }
    }

    /** A layer blob and the digest of its uncompressed tar. */
    public record Layer(Blob blob, String diffId) {}

    /** An image: config, layers, and the manifest that lists them. */
    public record Image(Blob config, List<Layer> layers, Blob manifest) {
        public List<Blob> blobs() {
            List<Blob> blobs = new ArrayList<>();
            blobs.add(config);
            layers.forEach(l -> blobs.add(l.blob()));
            return blobs;
        }
    }

    /** A tar+gzip layer holding one file of {@code size} random bytes (incompressible). */
    public static Layer randomLayer(Random random, String fileName, int size) {
        byte[] data = new byte[size];
        random.nextBytes(data);
        return layer(Map.of(fileName, data));
    }

    /** A tar+gzip layer holding the given files. */
    public static Layer layer(Map<String, byte[]> files) {
        try {
            ByteArrayOutputStream tar = new ByteArrayOutputStream();
            try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
                out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                for (Map.Entry<String, byte[]> file : files.entrySet()) {
                    TarArchiveEntry entry = new TarArchiveEntry(file.getKey());
                    entry.setSize(file.getValue().length);
                    entry.setMode(0644);
                    entry.setModTime(EPOCH);
                    out.putArchiveEntry(entry);
                    out.write(file.getValue());
                    out.closeArchiveEntry();
                }
            }
            byte[] tarBytes = tar.toByteArray();
            ByteArrayOutputStream gz = new ByteArrayOutputStream();
            try (OutputStream out = new GzipCompressorOutputStream(gz)) {
                out.write(tarBytes);
            }
            return new Layer(new Blob(LAYER, gz.toByteArray()), Digests.sha256(tarBytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An image config for {@code os/arch} with the layers' diff IDs. */
    public static Blob config(String os, String arch, List<Layer> layers, String comment) {
        ObjectNode config = RegistryHttp.JSON.createObjectNode();
        config.put("architecture", arch);
        config.put("os", os);
        config.put("comment", comment);
        ObjectNode rootfs = config.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode diffIds = rootfs.putArray("diff_ids");
        layers.forEach(l -> diffIds.add(l.diffId()));
        return new Blob(CONFIG, bytes(config));
    }

    /** An image manifest over a config and layers. */
    public static Blob manifest(Blob config, List<Blob> layers) {
        ObjectNode manifest = RegistryHttp.JSON.createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MANIFEST);
        manifest.set("config", config.descriptor());
        ArrayNode array = manifest.putArray("layers");
        layers.forEach(l -> array.add(l.descriptor()));
        return new Blob(MANIFEST, bytes(manifest));
    }

    /** A linux image of random layers of the given sizes. */
    public static Image image(Random random, String arch, String comment, int... layerSizes) {
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < layerSizes.length; i++) {
            layers.add(randomLayer(random, "layer" + i + "/data.bin", layerSizes[i]));
        }
        return image(arch, comment, layers);
    }

    public static Image image(String arch, String comment, List<Layer> layers) {
        Blob config = config("linux", arch, layers, comment);
        return new Image(
                config,
                layers,
                manifest(config, layers.stream().map(Layer::blob).toList()));
    }

    /** An image index over images, each with its platform (linux/arch from its config). */
    public static Blob index(Map<String, Image> imagesByArch) {
        ObjectNode index = RegistryHttp.JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", INDEX);
        ArrayNode manifests = index.putArray("manifests");
        imagesByArch.forEach((arch, image) -> {
            ObjectNode d = image.manifest().descriptor();
            ObjectNode platform = d.putObject("platform");
            platform.put("architecture", arch);
            platform.put("os", "linux");
            manifests.add(d);
        });
        return new Blob(INDEX, bytes(index));
    }

    public static byte[] bytes(JsonNode node) {
        return RegistryHttp.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
    }

    // ---------------------------------------------------------------- OCI image layout

    /**
     * Writes an OCI image layout: {@code oci-layout}, {@code blobs/sha256/<hex>} for every blob, and an
     * {@code index.json} whose entries point at {@code refs} (tag to manifest or index) with the
     * {@code org.opencontainers.image.ref.name} annotation.
     */
    public static void writeLayout(Path dir, Map<String, Blob> refs, Collection<Blob> blobs) throws IOException {
        Files.createDirectories(dir.resolve("blobs/sha256"));
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        List<Blob> all = new ArrayList<>(blobs);
        all.addAll(refs.values());
        for (Blob blob : all) {
            Path file = dir.resolve("blobs/sha256").resolve(Digests.hex(blob.digest()));
            if (!Files.exists(file)) {
                Files.write(file, blob.content());
            }
        }
        ObjectNode index = RegistryHttp.JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", INDEX);
        ArrayNode manifests = index.putArray("manifests");
        refs.forEach((tag, blob) -> {
            ObjectNode d = blob.descriptor();
            d.putObject("annotations").put("org.opencontainers.image.ref.name", tag);
            manifests.add(d);
        });
        Files.write(dir.resolve("index.json"), bytes(index));
    }

    /** The tags of a layout's {@code index.json}, each with the descriptor it points at. */
    public static Map<String, JsonNode> readLayoutRefs(Path dir) throws IOException {
        JsonNode index =
                RegistryHttp.JSON.readTree(Files.readString(dir.resolve("index.json"), StandardCharsets.UTF_8));
        Map<String, JsonNode> refs = new LinkedHashMap<>();
        for (JsonNode d : index.path("manifests")) {
            refs.put(
                    d.path("annotations")
                            .path("org.opencontainers.image.ref.name")
                            .asString(""),
                    d);
        }
        return refs;
    }
}
