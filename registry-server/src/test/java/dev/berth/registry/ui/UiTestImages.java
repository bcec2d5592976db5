package dev.berth.registry.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.it.OciContent;
import dev.berth.registry.it.OciContent.Blob;
import dev.berth.registry.it.OciContent.Layer;
import dev.berth.registry.it.RegistryHttp;
import java.util.List;
import java.util.Map;
import java.util.Random;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Images for the web UI tests, pushed through the real HTTP API: configs that carry everything the manifest page
 * shows (entrypoint, cmd, env, labels, exposed ports, history), multi-platform indexes and referrers.
 */
final class UiTestImages {
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final String ARTIFACT_MANIFEST = OciContent.MANIFEST;
    static final String SIGNATURE_TYPE = "application/vnd.example.signature.v1+json";

    private final RegistryHttp http;
    private final Random random = new Random(15);

    UiTestImages(RegistryHttp http) {
        this.http = http;
    }

    /** What the config of {@link #image} holds besides platform and layers. */
    record Runtime(
            List<String> entrypoint,
            List<String> cmd,
            List<String> env,
            Map<String, String> labels,
            List<String> ports,
            List<String> steps) {
        static Runtime plain(String app) {
            return new Runtime(
                    List.of("/bin/" + app),
                    List.of("--serve"),
                    List.of("PATH=/usr/bin", "APP=" + app),
                    Map.of("org.example.team", "berth"),
                    List.of("8080/tcp"),
                    List.of("ADD rootfs.tar /", "ENV APP=" + app, "COPY " + app + " /bin/" + app));
        }
    }

    /** Pushes a linux image of two random layers; the second and later steps alternate layer / no layer. */
    OciContent.Image image(String repository, String arch, Runtime runtime, Map<String, String> annotations) {
        List<Layer> layers = List.of(
                OciContent.randomLayer(random, "rootfs/" + arch + ".bin", 3000),
                OciContent.randomLayer(random, "app/" + arch + ".bin", 1200));
        ObjectNode config = JSON.createObjectNode();
        config.put("architecture", arch);
        config.put("os", "linux");
        config.put("created", "2026-01-02T03:04:05Z");
        ObjectNode run = config.putObject("config");
        run.put("User", "app");
        run.put("WorkingDir", "/srv");
        strings(run.putArray("Entrypoint"), runtime.entrypoint());
        strings(run.putArray("Cmd"), runtime.cmd());
        strings(run.putArray("Env"), runtime.env());
        ObjectNode labels = run.putObject("Labels");
        runtime.labels().forEach(labels::put);
        ObjectNode ports = run.putObject("ExposedPorts");
        runtime.ports().forEach(p -> ports.putObject(p));
        ObjectNode rootfs = config.putObject("rootfs");
        rootfs.put("type", "layers");
        layers.forEach(l -> rootfs.withArray("diff_ids").add(l.diffId()));
        ArrayNode history = config.putArray("history");
        for (int i = 0; i < runtime.steps().size(); i++) {
            ObjectNode step = history.addObject();
            step.put("created", "2026-01-02T03:04:0" + i + "Z");
            step.put("created_by", runtime.steps().get(i));
            if (i == 1) {
                step.put("empty_layer", true);
            }
        }
        Blob configBlob = new Blob(OciContent.CONFIG, OciContent.bytes(config));
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", OciContent.MANIFEST);
        manifest.set("config", configBlob.descriptor());
        layers.forEach(l -> manifest.withArray("layers").add(l.blob().descriptor()));
        if (!annotations.isEmpty()) {
            ObjectNode a = manifest.putObject("annotations");
            annotations.forEach(a::put);
        }
        OciContent.Image image =
                new OciContent.Image(configBlob, layers, new Blob(OciContent.MANIFEST, OciContent.bytes(manifest)));
        image.blobs().forEach(b -> pushBlob(repository, b));
        putManifest(repository, image.manifest().digest(), image.manifest());
        return image;
    }

    /** Pushes images for each architecture and an index over them under {@code tag}. */
    Blob multiPlatform(String repository, String tag, Runtime runtime, String... arches) {
        Map<String, OciContent.Image> images = new java.util.LinkedHashMap<>();
        for (String arch : arches) {
            images.put(arch, image(repository, arch, runtime, Map.of()));
        }
        Blob index = OciContent.index(images);
        putManifest(repository, tag, index);
        return index;
    }

    /** Pushes a signature-like artifact whose subject is {@code subject}, annotated with {@code annotations}. */
    Blob referrer(String repository, Blob subject, String artifactType, Map<String, String> annotations) {
        Blob empty = new Blob("application/vnd.oci.empty.v1+json", "{}".getBytes());
        Blob payload = new Blob("application/octet-stream", ("signed " + subject.digest()).getBytes());
        pushBlob(repository, empty);
        pushBlob(repository, payload);
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", OciContent.MANIFEST);
        manifest.put("artifactType", artifactType);
        manifest.set("config", empty.descriptor());
        manifest.withArray("layers").add(payload.descriptor());
        ObjectNode s = subject.descriptor();
        manifest.set("subject", s);
        ObjectNode a = manifest.putObject("annotations");
        annotations.forEach(a::put);
        Blob blob = new Blob(OciContent.MANIFEST, OciContent.bytes(manifest));
        putManifest(repository, blob.digest(), blob);
        return blob;
    }

    void pushBlob(String repository, Blob blob) {
        RegistryHttp.Response r = http.pushBlob(repository, blob.content());
        assertThat(r.status()).as("%s", r).isEqualTo(201);
    }

    void putManifest(String repository, String reference, Blob manifest) {
        RegistryHttp.Response r = http.putManifest(repository, reference, manifest.mediaType(), manifest.content());
        assertThat(r.status()).as("%s", r).isEqualTo(201);
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
