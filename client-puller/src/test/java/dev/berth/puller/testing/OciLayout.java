package dev.berth.puller.testing;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.MediaTypes;
import dev.berth.oci.OciJson;
import dev.berth.oci.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes an OCI image layout (oci-layout, index.json, blobs/sha256/...) that skopeo and umoci read: images
 * built from layer tars, tagged through the {@code org.opencontainers.image.ref.name} annotation.
 */
public final class OciLayout {
    private final Path dir;
    private final List<Descriptor> tagged = new ArrayList<>();

    public OciLayout(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir.resolve("blobs/sha256"));
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        writeIndex();
    }

    public Path dir() {
        return dir;
    }

    /** A layer ready to go into an image. */
    public record Layer(byte[] tar, byte[] blob, String mediaType) {
        public Digest diffId() {
            return Digest.sha256(tar);
        }

        public static Layer gzip(byte[] tar) throws IOException {
            return new Layer(tar, LayerBuilder.gzip(tar), MediaTypes.OCI_LAYER_GZIP);
        }

        public static Layer zstd(byte[] tar) throws IOException {
            return new Layer(tar, LayerBuilder.zstd(tar), MediaTypes.OCI_LAYER_ZSTD);
        }

        public static Layer plain(byte[] tar) {
            return new Layer(tar, tar, MediaTypes.OCI_LAYER);
        }
    }

    /** Writes config, layers and manifest; returns the manifest's descriptor (with platform). */
    public Descriptor image(List<Layer> layers, Platform platform, List<String> cmd, List<String> env)
            throws IOException {
        ObjectNode config = OciJson.mapper().createObjectNode();
        config.put("architecture", platform.architecture());
        config.put("os", platform.os());
        if (platform.variant() != null) {
            config.put("variant", platform.variant());
        }
        ObjectNode exec = config.putObject("config");
        if (cmd != null) {
            ArrayNode c = exec.putArray("Cmd");
            cmd.forEach(c::add);
        }
        ArrayNode e = exec.putArray("Env");
        (env == null ? List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") : env)
                .forEach(e::add);
        exec.put("WorkingDir", "/");
        ObjectNode rootfs = config.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode diffIds = rootfs.putArray("diff_ids");
        layers.forEach(l -> diffIds.add(l.diffId().toString()));
        Descriptor configDesc = blob(OciJson.mapper().writeValueAsBytes(config), MediaTypes.OCI_CONFIG);

        ObjectNode manifest = OciJson.mapper().createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
        manifest.set("config", OciJson.mapper().valueToTree(configDesc));
        ArrayNode ls = manifest.putArray("layers");
        for (Layer l : layers) {
            ls.add(OciJson.mapper().valueToTree(blob(l.blob(), l.mediaType())));
        }
        Descriptor m = blob(OciJson.mapper().writeValueAsBytes(manifest), MediaTypes.OCI_MANIFEST);
        return new Descriptor(m.mediaType(), m.digest(), m.size(), null, null, null, platform, null);
    }

    /** Writes an index over image manifests (a multi-platform image). */
    public Descriptor index(List<Descriptor> manifests) throws IOException {
        ObjectNode index = OciJson.mapper().createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        ArrayNode ms = index.putArray("manifests");
        manifests.forEach(d -> ms.add(OciJson.mapper().valueToTree(d)));
        return blob(OciJson.mapper().writeValueAsBytes(index), MediaTypes.OCI_INDEX);
    }

    /** Names a manifest or index in index.json. */
    public void tag(String tag, Descriptor d) throws IOException {
        Map<String, String> ann = new LinkedHashMap<>();
        ann.put("org.opencontainers.image.ref.name", tag);
        tagged.add(new Descriptor(d.mediaType(), d.digest(), d.size(), null, ann, null, null, null));
        writeIndex();
    }

    public Descriptor blob(byte[] content, String mediaType) throws IOException {
        Digest d = Digest.sha256(content);
        Path p = dir.resolve("blobs/sha256").resolve(d.hex());
        if (!Files.exists(p)) {
            Files.write(p, content);
        }
        return Descriptor.of(mediaType, d, content.length);
    }

    private void writeIndex() throws IOException {
        ObjectNode index = OciJson.mapper().createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        ArrayNode ms = index.putArray("manifests");
        tagged.forEach(d -> ms.add(OciJson.mapper().valueToTree(d)));
        Files.write(dir.resolve("index.json"), OciJson.mapper().writeValueAsBytes(index));
    }
}
