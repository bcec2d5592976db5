package dev.berth.registry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.registry.it.OciContent.Blob;
import dev.berth.registry.it.OciContent.Image;
import dev.berth.registry.it.OciContent.Layer;
import dev.berth.registry.it.RegistryHttp.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sixteen clients push overlapping images at once: every image shares two base layers, each repository's
 * images share one more, and each image has a layer and config of its own. Identical blobs are uploaded
 * concurrently (no existence check first), half monolithically and half in PATCH chunks. Afterwards every
 * image pulls back intact and the content-addressed store holds each blob exactly once.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConcurrentPushIT {
    static final int PUSHERS = 16;
    static final int REPOSITORIES = 4;
    static final int CHUNK = 256 * 1024;
    /** Marker files RegistryLayout draws next to a blob's data (GC bookkeeping, no content). */
    static final Set<String> BLOB_MARKERS = Set.of("touched", "gc-intent", "gc-claimed");

    @RegisterExtension
    static final RegistryProcess registry = RegistryProcess.create().property("berth.uploads.chunk-min-length", "64KB");

    static final RegistryHttp http = new RegistryHttp(registry::baseUri);

    record Push(int index, String repository, String tag, Image image) {}

    static final List<Push> pushes = new ArrayList<>();
    static final Map<Integer, String> failures = new ConcurrentHashMap<>();

    @BeforeAll
    static void generateImages() {
        Random random = new Random(7);
        Layer base1 = OciContent.randomLayer(random, "base/one.bin", 2 * 1024 * 1024);
        Layer base2 = OciContent.randomLayer(random, "base/two.bin", 1024 * 1024);
        List<Layer> group = new ArrayList<>();
        for (int r = 0; r < REPOSITORIES; r++) {
            group.add(OciContent.randomLayer(random, "group/" + r + ".bin", 512 * 1024));
        }
        for (int i = 0; i < PUSHERS; i++) {
            Layer unique = OciContent.randomLayer(random, "unique/" + i + ".bin", 256 * 1024);
            Image image = OciContent.image(
                    "amd64", "pusher " + i, List.of(base1, base2, group.get(i % REPOSITORIES), unique));
            pushes.add(new Push(i, "concurrent/repo-" + (i % REPOSITORIES), "img-" + i, image));
        }
    }

    @Test
    @Order(1)
    void sixteen_parallel_pushes_of_overlapping_images_all_succeed() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(PUSHERS);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Push push : pushes) {
                futures.add(pool.submit(() -> {
                    start.await();
                    push(push);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(failures)
                .as("failed pushes (pusher -> failing exchange)\nregistry log tail:\n%s", registry.logTail(4000))
                .isEmpty();
    }

    @Test
    @Order(2)
    void every_image_pulls_back_intact() {
        List<String> problems = new ArrayList<>();
        for (Push push : pushes) {
            Response manifest = http.get("/v2/" + push.repository() + "/manifests/" + push.tag())
                    .header("Accept", OciContent.MANIFEST)
                    .send();
            if (manifest.status() != 200
                    || !Digests.sha256(manifest.body())
                            .equals(push.image().manifest().digest())) {
                problems.add("manifest of " + push + ": " + manifest.describe());
                continue;
            }
            for (Blob blob : push.image().blobs()) {
                Response response = http.get("/v2/" + push.repository() + "/blobs/" + blob.digest())
                        .send();
                if (response.status() != 200 || !Digests.sha256(response.body()).equals(blob.digest())) {
                    problems.add(blob + " of " + push.repository() + ": " + response.status() + " with "
                            + response.body().length + " bytes hashing to " + Digests.sha256(response.body()));
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    @Order(3)
    void each_shared_blob_is_stored_once_under_v2_blobs() throws IOException {
        assumeTrue(RegistryProcess.isChildProcess(), "needs the registry's storage root");
        Map<String, Blob> expected = new LinkedHashMap<>();
        for (Push push : pushes) {
            push.image().blobs().forEach(b -> expected.put(b.digest(), b));
            expected.put(push.image().manifest().digest(), push.image().manifest());
        }
        Path blobs = registry.root().resolve("v2/blobs");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(blobs)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        Map<String, List<Path>> byContent = new HashMap<>();
        List<String> stray = new ArrayList<>();
        for (Path file : files) {
            String fileName = file.getFileName().toString();
            if (BLOB_MARKERS.contains(fileName)) {
                continue;
            }
            if (!fileName.equals("data")) {
                stray.add(blobs.relativize(file).toString());
                continue;
            }
            byContent
                    .computeIfAbsent(Digests.sha256(file), k -> new ArrayList<>())
                    .add(file);
        }
        for (Blob blob : expected.values()) {
            String hex = Digests.hex(blob.digest());
            Path data = blobs.resolve("sha256")
                    .resolve(hex.substring(0, 2))
                    .resolve(hex)
                    .resolve("data");
            assertThat(data).as("stored %s", blob).exists();
            assertThat(Digests.sha256(data)).as("content of %s", data).isEqualTo(blob.digest());
        }
        Map<String, List<Path>> duplicates = new HashMap<>();
        byContent.forEach((digest, paths) -> {
            if (paths.size() > 1) {
                duplicates.put(digest, paths);
            }
        });
        assertThat(duplicates).as("content stored more than once").isEmpty();
        assertThat(byContent.keySet())
                .as("every stored blob is one that was pushed")
                .containsExactlyInAnyOrderElementsOf(expected.keySet());
        assertThat(stray)
                .as("files other than data and GC markers under v2/blobs after all uploads completed")
                .isEmpty();
    }

    /** One client: every blob (shared ones too, without checking first), then the manifest by tag. */
    private static void push(Push push) {
        try {
            pushBlobsAndManifest(push);
        } catch (RuntimeException e) {
            failures.put(push.index(), e.toString());
        }
    }

    private static void pushBlobsAndManifest(Push push) {
        int mode = push.index() % 4;
        for (Blob blob : push.image().blobs()) {
            Response response = switch (mode) {
                case 0, 2 -> http.pushBlob(push.repository(), blob.content());
                case 1 -> http.pushBlobChunked(push.repository(), blob.content(), CHUNK, true);
                default -> http.pushBlobChunked(push.repository(), blob.content(), CHUNK, false);
            };
            if (response.status() != 201) {
                failures.put(push.index(), "blob " + blob + ": " + response.describe());
                return;
            }
        }
        Blob manifest = push.image().manifest();
        Response response = http.putManifest(push.repository(), push.tag(), manifest.mediaType(), manifest.content());
        if (response.status() != 201) {
            failures.put(push.index(), "manifest: " + response.describe());
        }
    }
}
