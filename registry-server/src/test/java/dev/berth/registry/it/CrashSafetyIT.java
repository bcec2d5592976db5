package dev.berth.registry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.registry.it.OciContent.Blob;
import dev.berth.registry.it.OciContent.Image;
import dev.berth.registry.it.OciContent.Layer;
import dev.berth.registry.it.RegistryHttp.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * {@code kill -9} in the middle of pushes: a client pushes images continuously (blobs monolithic or in PATCH
 * chunks, then the manifest by tag) while the registry is killed with SIGKILL at random moments and restarted
 * on the same storage root. Afterwards no tag may dangle or point at missing or corrupt blobs, no blob file may
 * hold bytes that do not hash to its path, tags acknowledged with 201 must still be there (a process crash
 * loses nothing the kernel already has), and pushing the interrupted images again must succeed.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CrashSafetyIT {
    static final int KILLS = 5;
    static final String REPOSITORY = "crash/app";
    static final int CHUNK = 64 * 1024;

    @RegisterExtension
    static final RegistryProcess registry = RegistryProcess.create().property("berth.uploads.chunk-min-length", "64KB");

    static final RegistryHttp http = new RegistryHttp(registry::baseUri);

    static final long SEED = System.nanoTime();
    static Layer base;
    /** Tag to the image whose manifest PUT was answered 201. */
    static final Map<String, Image> acknowledged = new ConcurrentHashMap<>();
    /** Images whose push a kill interrupted. */
    static final List<Image> interrupted = new CopyOnWriteArrayList<>();

    static final List<String> unexpected = new CopyOnWriteArrayList<>();
    static volatile boolean stopPushing;
    /** Images acknowledged since the registry last started; kills wait for one so they land mid-push, warm. */
    static final AtomicInteger ackedSinceStart = new AtomicInteger();
    /** Counts kills; a push that spans one may be refused (its upload session may not survive), not only fail. */
    static final AtomicInteger kills = new AtomicInteger();

    @BeforeAll
    static void pushWhileKilling() throws Exception {
        assumeTrue(RegistryProcess.isChildProcess(), "needs the registry as a child process to kill");
        System.out.println("CrashSafetyIT seed " + SEED);
        Random random = new Random(SEED);
        base = OciContent.randomLayer(random, "base.bin", 512 * 1024);
        Thread pusher = new Thread(CrashSafetyIT::pushContinuously, "crash-pusher");
        pusher.start();
        try {
            for (int kill = 0; kill < KILLS; kill++) {
                awaitProgress();
                Thread.sleep(random.nextInt(1500));
                registry.kill();
                kills.incrementAndGet();
                ackedSinceStart.set(0);
                registry.start();
            }
            awaitProgress();
        } finally {
            stopPushing = true;
            pusher.join(120_000);
        }
        System.out.println("CrashSafetyIT: " + acknowledged.size() + " images acknowledged, " + interrupted.size()
                + " interrupted by " + KILLS + " kills");
    }

    private static void awaitProgress() {
        await().atMost(Duration.ofSeconds(60)).until(() -> ackedSinceStart.get() > 0);
    }

    private static void pushContinuously() {
        Random random = new Random(SEED + 1);
        for (int n = 0; !stopPushing; n++) {
            Image image = OciContent.image(
                    "amd64",
                    "crash image " + n,
                    List.of(
                            base,
                            OciContent.randomLayer(random, "a.bin", 256 * 1024),
                            OciContent.randomLayer(random, "b.bin", 128 * 1024 + random.nextInt(4096))));
            String tag = "t-" + n;
            int killsBefore = kills.get();
            try {
                Response failed = push(image, tag, n % 3);
                if (failed == null) {
                    acknowledged.put(tag, image);
                    ackedSinceStart.incrementAndGet();
                } else if (failed.status() >= 500 || kills.get() != killsBefore || !registry.isRunning()) {
                    interrupted.add(image);
                } else {
                    unexpected.add(tag + ": " + failed.describe());
                }
            } catch (RuntimeException connectionLost) {
                interrupted.add(image);
                awaitRegistry();
            }
        }
    }

    /** Pushes every blob and the manifest; returns the first non-success response, or null. */
    private static Response push(Image image, String tag, int mode) {
        for (Blob blob : image.blobs()) {
            Response response = switch (mode) {
                case 0 -> http.pushBlob(REPOSITORY, blob.content());
                case 1 -> http.pushBlobChunked(REPOSITORY, blob.content(), CHUNK, true);
                default -> http.pushBlobChunked(REPOSITORY, blob.content(), CHUNK, false);
            };
            if (response.status() != 201) {
                return response;
            }
        }
        Blob manifest = image.manifest();
        Response response = http.putManifest(REPOSITORY, tag, manifest.mediaType(), manifest.content());
        return response.status() == 201 ? null : response;
    }

    private static void awaitRegistry() {
        await().atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> stopPushing || answers());
    }

    private static boolean answers() {
        try {
            return http.get("/v2/").trySend().status() == 200;
        } catch (IOException down) {
            return false; // still restarting
        }
    }

    @Test
    @Order(1)
    void pushes_were_actually_interrupted_and_nothing_else_went_wrong() {
        assertThat(interrupted)
                .as("no push was in flight at any kill; the test proved nothing")
                .isNotEmpty();
        assertThat(acknowledged).as("no push ever completed").isNotEmpty();
        assertThat(unexpected)
                .as("pushes refused with a 4xx while the registry was up")
                .isEmpty();
    }

    @Test
    @Order(2)
    void tags_acknowledged_with_201_survive_kill_9() {
        List<String> lost = new ArrayList<>();
        acknowledged.forEach((tag, image) -> {
            Response response = http.get("/v2/" + REPOSITORY + "/manifests/" + tag)
                    .header("Accept", OciContent.MANIFEST)
                    .send();
            if (response.status() != 200
                    || !Digests.sha256(response.body()).equals(image.manifest().digest())) {
                lost.add(tag + ": " + response.status());
            }
        });
        assertThat(lost)
                .as("acknowledged tags that no longer resolve to their manifest")
                .isEmpty();
    }

    @Test
    @Order(3)
    void every_tag_that_resolves_points_at_a_manifest_whose_blobs_all_exist_and_verify() {
        Response list = http.get("/v2/" + REPOSITORY + "/tags/list").send();
        assertThat(list.status()).as(list::describe).isEqualTo(200);
        List<String> problems = new ArrayList<>();
        for (JsonNode t : list.json().path("tags")) {
            String tag = t.asString();
            Response manifest = http.get("/v2/" + REPOSITORY + "/manifests/" + tag)
                    .header("Accept", OciContent.MANIFEST)
                    .send();
            if (manifest.status() != 200) {
                problems.add("listed tag " + tag + " does not resolve: " + manifest.status());
                continue;
            }
            String digest = manifest.header("Docker-Content-Digest");
            if (digest != null && !digest.equals(Digests.sha256(manifest.body()))) {
                problems.add("tag " + tag + ": manifest bytes hash to " + Digests.sha256(manifest.body())
                        + " but Docker-Content-Digest says " + digest);
            }
            JsonNode json = manifest.json();
            List<JsonNode> descriptors = new ArrayList<>();
            descriptors.add(json.path("config"));
            json.path("layers").forEach(descriptors::add);
            for (JsonNode d : descriptors) {
                String blobDigest = d.path("digest").asString();
                Response blob =
                        http.get("/v2/" + REPOSITORY + "/blobs/" + blobDigest).send();
                if (blob.status() != 200) {
                    problems.add("tag " + tag + ": blob " + blobDigest + " -> " + blob.status());
                } else if (!Digests.sha256(blob.body()).equals(blobDigest)
                        || blob.body().length != d.path("size").asLong()) {
                    problems.add("tag " + tag + ": blob " + blobDigest + " served " + blob.body().length
                            + " bytes hashing to " + Digests.sha256(blob.body()));
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    @Order(4)
    void no_blob_data_file_holds_bytes_that_do_not_hash_to_its_path() throws IOException {
        Path blobs = registry.root().resolve("v2/blobs");
        List<String> corrupt = new ArrayList<>();
        int checked = 0;
        try (Stream<Path> walk = Files.walk(blobs)) {
            for (Path data :
                    walk.filter(p -> p.getFileName().toString().equals("data")).toList()) {
                String expected = data.getParent().getParent().getParent().getFileName() + ":"
                        + data.getParent().getFileName();
                String actual = Digests.sha256(data);
                checked++;
                if (!actual.equals(expected)) {
                    corrupt.add(blobs.relativize(data) + " holds " + Files.size(data) + " bytes hashing to " + actual);
                }
            }
        }
        assertThat(checked).as("blob files under %s", blobs).isPositive();
        assertThat(corrupt).isEmpty();
    }

    @Test
    @Order(5)
    void a_fresh_push_of_the_interrupted_content_succeeds() {
        List<String> problems = new ArrayList<>();
        int n = 0;
        for (Image image : interrupted) {
            String tag = "retry-" + n++;
            Response failed = push(image, tag, n % 3);
            if (failed != null) {
                problems.add(tag + ": " + failed.describe());
                continue;
            }
            for (Blob blob : image.blobs()) {
                Response response = http.get("/v2/" + REPOSITORY + "/blobs/" + blob.digest())
                        .send();
                if (response.status() != 200 || !Digests.sha256(response.body()).equals(blob.digest())) {
                    problems.add(tag + ": " + blob + " pulled back as " + response.status());
                }
            }
        }
        assertThat(problems).isEmpty();
    }
}
