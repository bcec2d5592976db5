package dev.berth.registry.ui;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.ManifestParser;
import dev.berth.oci.MediaTypes;
import dev.berth.oci.OciJson;
import dev.berth.oci.ParsedManifest;
import dev.berth.oci.Platform;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.storage.BlobStore;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.storage.StorageWalk;
import dev.berth.registry.storage.StoredPath;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * What the web UI shows about repositories, tags and manifests, read through the registry's own stores (and so
 * their caches). Every method blocks and costs O(what it shows), plus one listing of the repository's tags (names
 * only; and a stat per tag when sorting by push time). Callers have checked access.
 */
public class RepositoryBrowser {
    /** Configs larger than this are not parsed for display (real ones are a few KiB). */
    private static final long MAX_CONFIG_BYTES = 4L << 20;

    private final StorageDriver driver;
    private final BlobStore blobs;
    private final ManifestService manifests;

    public RepositoryBrowser(StorageDriver driver, BlobStore blobs, ManifestService manifests) {
        this.driver = driver;
        this.blobs = blobs;
        this.manifests = manifests;
    }

    /**
     * One line of the repository list.
     *
     * @param size     bytes of the distinct blobs the repository links (layers and configs)
     * @param lastPush the latest write of a tag or manifest revision, null if unknown
     */
    public record RepositorySummary(String name, int tags, long size, Instant lastPush) {}

    /** One row of a repository's tag list. */
    public record TagRow(
            String name,
            String digest,
            String mediaType,
            long size,
            List<String> platforms,
            String created,
            Instant pushed) {}

    /** A page of tags; {@code total} counts the tags matching the filter. */
    public record TagPage(String repository, int total, int page, int pageSize, List<TagRow> tags) {}

    /** Tag list orders. */
    public enum TagOrder {
        NAME,
        PUSHED
    }

    /**
     * Tag count from one listing of the tags directory; last push from the revision links' times and the tags
     * directory's own time (it changes when a tag is added or removed, where the driver knows directory times).
     */
    public RepositorySummary summary(String name) throws IOException {
        int tags = tagNames(name).size();
        Instant[] last = {modified(RegistryLayout.tags(name))};
        StorageWalk.walkIfPresent(driver, RegistryLayout.manifestRevisions(name), info -> {
            Instant time = info.modTime();
            if (info.path().endsWith("/link") && time != null && (last[0] == null || time.isAfter(last[0]))) {
                last[0] = time;
            }
        });
        Set<Digest> linked = new HashSet<>();
        StorageWalk.walkIfPresent(driver, RegistryLayout.layerLinks(name), info -> {
            if (RegistryLayout.parse(info.path()).orElse(null) instanceof StoredPath.LayerLink link) {
                linked.add(link.digest());
            }
        });
        long bytes = 0;
        for (Digest d : linked) {
            bytes += blobs.cachedSize(d).orElse(0L);
        }
        return new RepositorySummary(name, tags, bytes, last[0]);
    }

    /**
     * Page {@code page} (from 0) of the tags whose name contains {@code filter}, sorted by name (one listing of the
     * tags directory) or by the time each tag was last pointed at a manifest (plus a stat of every tag link). Only
     * the rows of the page are resolved and described.
     */
    public TagPage tags(String name, String filter, TagOrder order, boolean descending, int page, int pageSize)
            throws IOException {
        List<Map.Entry<String, Instant>> all = new ArrayList<>();
        for (String tag : tagNames(name)) {
            if (filter == null || tag.contains(filter)) {
                // Push times only when sorting by them: one stat per tag, the only O(tags) storage work here.
                Instant time = order == TagOrder.PUSHED ? modified(RegistryLayout.tagCurrent(name, tag)) : null;
                all.add(new java.util.AbstractMap.SimpleEntry<>(
                        tag, order == TagOrder.PUSHED && time == null ? Instant.EPOCH : time));
            }
        }
        Comparator<Map.Entry<String, Instant>> byName = Map.Entry.comparingByKey();
        Comparator<Map.Entry<String, Instant>> sort = order == TagOrder.PUSHED
                ? Map.Entry.<String, Instant>comparingByValue().thenComparing(byName)
                : byName;
        all.sort(descending ? sort.reversed() : sort);
        int from = Math.min(all.size(), page * pageSize);
        int to = Math.min(all.size(), from + pageSize);
        Map<Digest, Facts> seen = new HashMap<>();
        List<TagRow> rows = new ArrayList<>();
        for (Map.Entry<String, Instant> e : all.subList(from, to)) {
            Optional<Digest> target = manifests.tags().resolve(name, e.getKey());
            Optional<Descriptor> descriptor =
                    target.isEmpty() ? Optional.empty() : manifests.manifests().stat(name, target.get());
            if (descriptor.isEmpty()) {
                continue; // deleted since the listing
            }
            Facts facts = seen.get(descriptor.get().digest());
            if (facts == null) {
                facts = facts(name, descriptor.get());
                seen.put(descriptor.get().digest(), facts);
            }
            Instant pushed =
                    e.getValue() != null ? e.getValue() : modified(RegistryLayout.tagCurrent(name, e.getKey()));
            rows.add(new TagRow(
                    e.getKey(),
                    descriptor.get().digest().toString(),
                    descriptor.get().mediaType(),
                    facts.size(),
                    facts.platforms(),
                    facts.created(),
                    Instant.EPOCH.equals(pushed) ? null : pushed));
        }
        return new TagPage(name, all.size(), page, pageSize, rows);
    }

    /** The repository's tags in name order, from one listing. */
    private List<String> tagNames(String name) throws IOException {
        return manifests.tags().list(name);
    }

    /** When the object (or directory) was last modified, null when unknown or absent. */
    private Instant modified(String path) throws IOException {
        try {
            return driver.stat(path).modTime();
        } catch (PathNotFoundException e) {
            return null;
        }
    }

    /** Size (manifest, config and layers, summed over an index's children), platforms and creation time. */
    private record Facts(long size, List<String> platforms, String created) {}

    private Facts facts(String name, Descriptor manifest) throws IOException {
        ParsedManifest parsed = parse(manifest);
        if (parsed == null) {
            return new Facts(manifest.size(), List.of(), null);
        }
        if (parsed.isIndex()) {
            long size = manifest.size();
            List<String> platforms = new ArrayList<>();
            String created = parsed.annotations().get("org.opencontainers.image.created");
            for (Descriptor child : parsed.children()) {
                if (child.platform() != null) {
                    platforms.add(platform(child.platform()));
                }
                Optional<Descriptor> stored = manifests.manifests().stat(name, child.digest());
                ParsedManifest childParsed = stored.isEmpty() ? null : parse(stored.get());
                size += child.size() + (childParsed == null ? 0 : blobBytes(childParsed));
                if (created == null && childParsed != null && !childParsed.isIndex()) {
                    created = config(childParsed).map(c -> text(c, "created")).orElse(null);
                }
            }
            return new Facts(size, platforms, created);
        }
        Optional<JsonNode> config = config(parsed);
        List<String> platforms = config.map(c -> text(c, "os") == null
                        ? List.<String>of()
                        : List.of(platform(Platform.of(text(c, "os"), text(c, "architecture"), text(c, "variant")))))
                .orElse(List.of());
        return new Facts(
                manifest.size() + blobBytes(parsed),
                platforms,
                config.map(c -> text(c, "created")).orElse(null));
    }

    private static long blobBytes(ParsedManifest parsed) {
        return parsed.blobs().stream().mapToLong(Descriptor::size).sum();
    }

    /** The manifest's body parsed, or null when it is gone or no longer parses. */
    ParsedManifest parse(Descriptor manifest) throws IOException {
        try {
            return ManifestParser.parse(manifests.manifests().content(manifest.digest()), manifest.mediaType());
        } catch (PathNotFoundException | IllegalArgumentException e) {
            return null;
        }
    }

    /** The body of a manifest the repository holds. */
    byte[] content(Descriptor manifest) throws IOException {
        return manifests.manifests().content(manifest.digest());
    }

    /** An image manifest's config as JSON, when it is an image config of reasonable size. */
    Optional<JsonNode> config(ParsedManifest parsed) throws IOException {
        Descriptor config =
                parsed.imageManifest() == null ? null : parsed.imageManifest().config();
        if (config == null
                || config.size() > MAX_CONFIG_BYTES
                || !(MediaTypes.OCI_CONFIG.equals(config.mediaType())
                        || MediaTypes.DOCKER_CONFIG.equals(config.mediaType()))) {
            return Optional.empty();
        }
        try {
            return Optional.of(OciJson.mapper().readTree(blobs.readSmall(config.digest())));
        } catch (PathNotFoundException | JacksonException e) {
            return Optional.empty();
        }
    }

    /** The manifest a tag or digest names in the repository, if it holds it. */
    Optional<Descriptor> resolve(String name, String reference) throws IOException {
        return Digest.isValid(reference)
                ? manifests.resolve(name, null, Digest.parse(reference))
                : manifests.resolve(name, reference, null);
    }

    /** Referrers of {@code subject} grouped by artifact type (up to {@code limit} in all). */
    Map<String, List<Descriptor>> referrers(String name, Digest subject, int limit) throws IOException {
        Map<String, List<Descriptor>> grouped = new LinkedHashMap<>();
        for (Descriptor d : manifests
                .referrers()
                .list(name, subject, x -> true, null, limit)
                .referrers()) {
            String type = d.artifactType() != null ? d.artifactType() : d.mediaType();
            grouped.computeIfAbsent(type, k -> new ArrayList<>()).add(d);
        }
        return grouped;
    }

    static String platform(Platform p) {
        String s = p.os() + "/" + p.architecture();
        return p.variant() == null || p.variant().isEmpty() ? s : s + "/" + p.variant();
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asString();
    }
}
