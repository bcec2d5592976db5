package dev.berth.registry.gc;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.oci.ManifestParser;
import dev.berth.oci.MediaTypes;
import dev.berth.oci.OciJson;
import dev.berth.oci.ParsedManifest;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.manifest.ManifestStore;
import dev.berth.registry.manifest.ReferrersIndex;
import dev.berth.registry.manifest.TagStore;
import dev.berth.registry.storage.BlobStore;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.storage.RepositoryLinks;
import dev.berth.storage.CheckedStorageDriver;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.filesystem.FilesystemDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A registry's storage layer over a filesystem driver in a temporary directory, with builders for images,
 * indexes and referrers pushed the way a manifest PUT does once it takes part in the GC protocol, and a way to
 * age whatever is stored (file modification times).
 */
final class GcFixture {
    private static final AtomicInteger UNIQUE = new AtomicInteger();

    final Path root;
    final StorageDriver driver;
    final BlobStore blobs;
    final RepositoryLinks links;
    final ManifestStore manifests;
    final TagStore tags;
    final ManifestService service;

    GcFixture(Path root) throws IOException {
        this.root = root;
        this.driver = new CheckedStorageDriver(new FilesystemDriver(root));
        this.blobs = new BlobStore(driver, Duration.ofSeconds(10));
        this.links = new RepositoryLinks(driver);
        this.manifests = new ManifestStore(driver, blobs, links);
        this.tags = new TagStore(driver);
        this.service = new ManifestService(manifests, tags, new ReferrersIndex(driver));
    }

    static GcOptions options(Duration grace, Duration keepUntagged) {
        return GcOptions.builder()
                .gracePeriod(grace)
                .keepUntaggedFor(keepUntagged)
                .settleDelay(Duration.ZERO)
                .uploadTtl(Duration.ofHours(24))
                .parallelism(4)
                .batchSize(100)
                .build();
    }

    /** An uploaded blob: stored and linked into {@code repo}, as a finished upload leaves it. */
    Descriptor blob(String repo, String mediaType, byte[] content) throws IOException {
        Digest d = blobs.putSmall(content, DigestAlgorithm.SHA256);
        links.link(repo, d);
        return Descriptor.of(mediaType, d, content.length);
    }

    Descriptor blob(String repo) throws IOException {
        return blob(
                repo,
                MediaTypes.OCI_LAYER_GZIP,
                ("layer-" + UNIQUE.incrementAndGet()).getBytes(StandardCharsets.UTF_8));
    }

    /** An image manifest body over a fresh config and {@code layers}. */
    byte[] imageBody(String repo, Descriptor subject, Descriptor... layers) throws IOException {
        Descriptor config = blob(
                repo,
                MediaTypes.OCI_CONFIG,
                ("{\"n\":" + UNIQUE.incrementAndGet() + "}").getBytes(StandardCharsets.UTF_8));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.OCI_MANIFEST);
        m.put("config", config);
        m.put("layers", List.of(layers));
        if (subject != null) {
            m.put("subject", subject);
        }
        return OciJson.mapper().writeValueAsBytes(m);
    }

    byte[] indexBody(Descriptor... children) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.OCI_INDEX);
        m.put("manifests", List.of(children));
        return OciJson.mapper().writeValueAsBytes(m);
    }

    /**
     * Pushes a manifest the way the PUT handler does when wired into the GC protocol: rescue the revision, every
     * referenced blob and every child revision, check the repository can serve them, then store. Returns null when a referenced
     * blob is unknown (the handler's MANIFEST_BLOB_UNKNOWN).
     */
    Descriptor push(String repo, byte[] body, String... tagNames) throws IOException {
        ParsedManifest parsed = parse(body);
        Digest digest = Digest.sha256(body);
        links.rescueRevision(repo, digest);
        for (Descriptor d : parsed.blobs()) {
            if (!blobs.rescue(d.digest())) {
                return null;
            }
        }
        for (Descriptor child : parsed.children()) {
            links.rescueRevision(repo, child.digest());
        }
        if (!manifests.missingReferences(repo, parsed).isEmpty()) {
            return null;
        }
        return service.push(repo, body, parsed, digest, List.of(tagNames)).descriptor();
    }

    /** Parses with the body's own media type, as a client's Content-Type would declare it. */
    static ParsedManifest parse(byte[] body) {
        return ManifestParser.parse(
                body, OciJson.mapper().readTree(body).get("mediaType").asString());
    }

    /** Pushes an image with one fresh layer. */
    Descriptor image(String repo, String... tagNames) throws IOException {
        return push(repo, imageBody(repo, null, blob(repo)), tagNames);
    }

    boolean exists(String path) throws IOException {
        try {
            driver.stat(path);
            return true;
        } catch (PathNotFoundException e) {
            return false;
        }
    }

    boolean blobExists(Digest d) throws IOException {
        return exists(RegistryLayout.blobData(d));
    }

    boolean revisionExists(String repo, Digest d) throws IOException {
        return exists(RegistryLayout.manifestRevision(repo, d));
    }

    /** Every digest (manifests included) that {@code repo}'s manifest {@code d} needs to be pulled. */
    List<Digest> closure(Digest manifest) throws IOException {
        List<Digest> all = new ArrayList<>();
        all.add(manifest);
        ParsedManifest parsed = parse(blobs.readSmall(manifest));
        parsed.blobs().forEach(b -> all.add(b.digest()));
        for (Descriptor child : parsed.children()) {
            all.addAll(closure(child.digest()));
        }
        return all;
    }

    /** Sets the modification time of every stored object to {@code age} ago. */
    void ageEverything(Duration age) throws IOException {
        FileTime time = FileTime.from(Instant.now().minus(age));
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f) && !f.toString().contains(FilesystemDriver.STAGING_DIR)) {
                    Files.setLastModifiedTime(f, time);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Number of objects stored under {@code path} (0 when nothing). */
    int count(String path) throws IOException {
        int[] n = {0};
        try {
            driver.walk(path, info -> {
                n[0]++;
                return true;
            });
        } catch (PathNotFoundException e) {
            return 0;
        }
        return n[0];
    }

    /** Paths of GC markers anywhere in storage. */
    List<String> markers() throws IOException {
        List<String> found = new ArrayList<>();
        try {
            driver.walk(RegistryLayout.ROOT, info -> {
                if (info.path().endsWith("/" + RegistryLayout.GC_INTENT)
                        || info.path().endsWith("/" + RegistryLayout.GC_CLAIMED)) {
                    found.add(info.path());
                }
                return true;
            });
        } catch (PathNotFoundException e) {
            return found;
        }
        return found;
    }
}
