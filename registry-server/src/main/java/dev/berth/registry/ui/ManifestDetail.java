package dev.berth.registry.ui;

import dev.berth.oci.Descriptor;
import dev.berth.oci.ParsedManifest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * The manifest page's JSON: an index's platform manifests, or an image's layers and config (entrypoint, cmd,
 * env, labels, exposed ports, history with the size of each step), plus annotations, subject and referrers
 * grouped by artifact type. Values from images are passed through as data; the page renders them as text.
 */
final class ManifestDetail {
    private static final int MAX_REFERRERS = 200;

    private ManifestDetail() {}

    static Map<String, Object> of(
            RepositoryBrowser browser, String repository, String reference, Descriptor manifest, boolean mayDelete)
            throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("repository", repository);
        out.put("reference", reference);
        out.put("digest", manifest.digest().toString());
        out.put("mediaType", manifest.mediaType());
        out.put("size", manifest.size());
        out.put("canDelete", mayDelete);
        ParsedManifest parsed = browser.parse(manifest);
        if (parsed != null) {
            out.put("artifactType", parsed.artifactType());
            out.put("annotations", parsed.annotations());
            out.put("subject", parsed.subject() == null ? null : descriptor(parsed.subject()));
            if (parsed.isIndex()) {
                out.put(
                        "manifests",
                        parsed.children().stream()
                                .map(ManifestDetail::descriptor)
                                .toList());
            } else {
                List<Descriptor> layers = parsed.imageManifest() == null
                        ? List.of()
                        : parsed.imageManifest().layersOrEmpty();
                out.put(
                        "layers",
                        layers.stream().map(ManifestDetail::descriptor).toList());
                Descriptor config = parsed.imageManifest() == null
                        ? null
                        : parsed.imageManifest().config();
                if (config != null) {
                    Map<String, Object> c = descriptor(config);
                    browser.config(parsed).ifPresent(json -> c.putAll(config(json, layers)));
                    out.put("config", c);
                }
            }
        }
        Map<String, List<Map<String, Object>>> referrers = new LinkedHashMap<>();
        browser.referrers(repository, manifest.digest(), MAX_REFERRERS)
                .forEach((type, list) -> referrers.put(
                        type, list.stream().map(ManifestDetail::descriptor).toList()));
        out.put("referrers", referrers);
        out.put("raw", new String(browser.content(manifest), java.nio.charset.StandardCharsets.UTF_8));
        return out;
    }

    static Map<String, Object> descriptor(Descriptor d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mediaType", d.mediaType());
        m.put("digest", d.digest() == null ? null : d.digest().toString());
        m.put("size", d.size());
        if (d.platform() != null) {
            m.put("platform", RepositoryBrowser.platform(d.platform()));
        }
        if (d.artifactType() != null) {
            m.put("artifactType", d.artifactType());
        }
        if (d.annotations() != null && !d.annotations().isEmpty()) {
            m.put("annotations", d.annotations());
        }
        return m;
    }

    /** The fields of an image config worth showing; history steps that made a layer get that layer's size. */
    private static Map<String, Object> config(JsonNode json, List<Descriptor> layers) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("created", RepositoryBrowser.text(json, "created"));
        c.put("os", RepositoryBrowser.text(json, "os"));
        c.put("architecture", RepositoryBrowser.text(json, "architecture"));
        c.put("variant", RepositoryBrowser.text(json, "variant"));
        JsonNode run = Optional.ofNullable(json.get("config")).orElse(json.path("container_config"));
        c.put("user", RepositoryBrowser.text(run, "User"));
        c.put("workingDir", RepositoryBrowser.text(run, "WorkingDir"));
        c.put("entrypoint", strings(run.get("Entrypoint")));
        c.put("cmd", strings(run.get("Cmd")));
        c.put("env", strings(run.get("Env")));
        c.put("labels", stringMap(run.get("Labels")));
        c.put("exposedPorts", keys(run.get("ExposedPorts")));
        c.put("stopSignal", RepositoryBrowser.text(run, "StopSignal"));
        List<Map<String, Object>> history = new ArrayList<>();
        int layer = 0;
        JsonNode steps = json.get("history");
        if (steps != null && steps.isArray()) {
            for (JsonNode step : steps) {
                Map<String, Object> h = new LinkedHashMap<>();
                h.put("created", RepositoryBrowser.text(step, "created"));
                h.put("createdBy", RepositoryBrowser.text(step, "created_by"));
                h.put("comment", RepositoryBrowser.text(step, "comment"));
                boolean empty = step.path("empty_layer").asBoolean(false);
                h.put("emptyLayer", empty);
                h.put(
                        "size",
                        !empty && layer < layers.size() ? layers.get(layer++).size() : 0L);
                history.add(h);
            }
        }
        c.put("history", history);
        return c;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null && array.isArray()) {
            array.forEach(v -> out.add(v.isString() ? v.asString() : v.toString()));
        }
        return out;
    }

    private static Map<String, String> stringMap(JsonNode object) {
        Map<String, String> out = new LinkedHashMap<>();
        if (object != null && object.isObject()) {
            for (Map.Entry<String, JsonNode> e : object.properties()) {
                out.put(
                        e.getKey(),
                        e.getValue().isString()
                                ? e.getValue().asString()
                                : e.getValue().toString());
            }
        }
        return out;
    }

    private static List<String> keys(JsonNode object) {
        List<String> out = new ArrayList<>();
        if (object != null && object.isObject()) {
            Iterator<String> names = object.propertyNames().iterator();
            names.forEachRemaining(out::add);
        }
        return out;
    }
}
