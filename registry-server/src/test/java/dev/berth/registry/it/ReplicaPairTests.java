package dev.berth.registry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.registry.it.OciContent.Blob;
import dev.berth.registry.it.OciContent.Image;
import dev.berth.registry.it.RegistryHttp.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;

/**
 * Two stateless replicas, two real registry jars sharing one S3 bucket and nothing else: an image pushed through
 * either is pulled through the other (skopeo), an upload started on one is finished on the other, and a deletion
 * through one is seen by the other within the replicas' cache bound ({@code berth.cache.ttl} plus one storage
 * read; see {@code dev.berth.registry.cache} and README, "Storage on S3"), without either ever reporting a blob it
 * cannot serve. Subclasses name the S3 server: S3Proxy ({@link ReplicasIT}), Ceph RGW ({@link CephReplicasIT}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ReplicaPairTests {
    /** The replicas' cache TTL: how long one may keep answering from its cache after the other deleted something. */
    static final Duration CACHE_TTL = Duration.ofSeconds(2);
    /** The TTL plus one storage read, with room for a loaded machine. */
    static final Duration CACHE_BOUND = CACHE_TTL.plusSeconds(3);

    Path work;
    RegistryProcess one;
    RegistryProcess two;
    RegistryHttp httpOne;
    RegistryHttp httpTwo;

    /** Starts the S3 server if needed and returns the replicas' {@code berth.storage.s3.*} settings but the root prefix. */
    abstract Map<String, String> s3Properties() throws Exception;

    /** The replicas' root prefix in the bucket. */
    abstract String rootPrefix();

    /** Called after the replicas stopped. */
    void stopS3() throws Exception {}

    @BeforeAll
    void startReplicas() throws Exception {
        // S3Proxy brings logback, whose default (DEBUG for everything) would bury the test output.
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        work = Files.createTempDirectory("berth-replicas-");
        Map<String, String> s3 = s3Properties();
        one = replica(s3);
        two = replica(s3);
        one.start();
        two.start();
        httpOne = new RegistryHttp(one::baseUri);
        httpTwo = new RegistryHttp(two::baseUri);
    }

    private RegistryProcess replica(Map<String, String> s3) {
        RegistryProcess replica = RegistryProcess.create()
                .property("berth.storage.driver", "s3")
                .property("berth.storage.s3.root-prefix", rootPrefix())
                .property("berth.uploads.chunk-min-length", "1KB")
                .property("berth.cache.ttl", CACHE_TTL.toMillis() + "ms");
        s3.forEach(replica::property);
        return replica;
    }

    @AfterAll
    void stopReplicas() throws Exception {
        try {
            for (RegistryProcess replica : new RegistryProcess[] {one, two}) {
                if (replica != null) {
                    replica.stop();
                    if (replica.root() != null) {
                        RegistryProcess.deleteRecursively(replica.root());
                    }
                }
            }
            if (work != null) {
                RegistryProcess.deleteRecursively(work);
            }
        } finally {
            stopS3();
        }
    }

    @Test
    void imagesPushedThroughEitherReplicaArePulledThroughTheOther() throws Exception {
        Random random = new Random(7);
        Image first = OciContent.image(random, "amd64", "pushed through one", 700 * 1024, 300 * 1024);
        Image second = OciContent.image(random, "amd64", "pushed through two", 500 * 1024);
        Path source = work.resolve("source");
        List<Blob> blobs = new ArrayList<>(first.blobs());
        blobs.addAll(second.blobs());
        OciContent.writeLayout(source, Map.of("first", first.manifest(), "second", second.manifest()), blobs);

        skopeo("copy", "--dest-tls-verify=false", "oci:" + source + ":first", docker(one, "rep/app:first"));
        skopeo("copy", "--dest-tls-verify=false", "oci:" + source + ":second", docker(two, "rep/app:second"));

        Path fromTwo = work.resolve("from-two");
        skopeo("copy", "--src-tls-verify=false", docker(two, "rep/app:first"), "oci:" + fromTwo + ":first");
        Path fromOne = work.resolve("from-one");
        skopeo("copy", "--src-tls-verify=false", docker(one, "rep/app:second"), "oci:" + fromOne + ":second");

        assertThat(layoutManifestDigest(fromTwo)).isEqualTo(first.manifest().digest());
        assertThat(layoutManifestDigest(fromOne)).isEqualTo(second.manifest().digest());
        for (Blob blob : first.blobs()) {
            assertThat(Files.readAllBytes(blobFile(fromTwo, blob.digest()))).isEqualTo(blob.content());
        }
        for (Blob blob : second.blobs()) {
            assertThat(Files.readAllBytes(blobFile(fromOne, blob.digest()))).isEqualTo(blob.content());
        }
    }

    @Test
    void anUploadStartedOnOneReplicaIsFinishedOnTheOther() {
        byte[] content = new byte[3 * 1024 * 1024 + 17];
        new Random(8).nextBytes(content);
        String digest = Digests.sha256(content);
        Response started = httpOne.post("/v2/rep/chunked/blobs/uploads/").send();
        assertThat(started.status()).as(started::describe).isEqualTo(202);
        int half = content.length / 2;
        Response firstHalf = httpOne.patch(started.location())
                .header("Content-Type", "application/octet-stream")
                .header("Content-Range", "0-" + (half - 1))
                .body(java.util.Arrays.copyOfRange(content, 0, half))
                .send();
        assertThat(firstHalf.status()).as(firstHalf::describe).isEqualTo(202);

        // The session lives in the bucket: the other replica reports its progress and takes the rest.
        Response status = httpTwo.get(firstHalf.relativeLocation()).send();
        assertThat(status.status()).as(status::describe).isEqualTo(204);
        assertThat(status.header("Range")).isEqualTo("0-" + (half - 1));
        Response rest = httpTwo.patch(firstHalf.relativeLocation())
                .header("Content-Type", "application/octet-stream")
                .header("Content-Range", half + "-" + (content.length - 1))
                .body(java.util.Arrays.copyOfRange(content, half, content.length))
                .send();
        assertThat(rest.status()).as(rest::describe).isEqualTo(202);
        Response done =
                httpTwo.put(rest.relativeLocation()).query("digest", digest).send();
        assertThat(done.status()).as(done::describe).isEqualTo(201);

        Response pulled = httpOne.get("/v2/rep/chunked/blobs/" + digest).send();
        assertThat(pulled.status()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(content);
    }

    @Test
    void aDeleteThroughOneReplicaIsSeenByTheOtherWhichNeverReportsAnUnreadableBlob() throws Exception {
        Random random = new Random(9);
        Image image = OciContent.image(random, "amd64", "deleted", 200 * 1024);
        for (Blob blob : image.blobs()) {
            assertThat(httpOne.pushBlob("rep/gone", blob.content()).status()).isEqualTo(201);
        }
        assertThat(httpOne.putManifest(
                                "rep/gone",
                                "v1",
                                OciContent.MANIFEST,
                                image.manifest().content())
                        .status())
                .isEqualTo(201);
        String layer = image.layers().get(0).blob().digest();
        assertThat(httpTwo.get("/v2/rep/gone/manifests/v1")
                        .header("Accept", OciContent.MANIFEST)
                        .send()
                        .status())
                .isEqualTo(200);
        assertThat(httpTwo.get("/v2/rep/gone/blobs/" + layer).send().status()).isEqualTo(200);

        Response deletedManifest = httpOne.delete(
                        "/v2/rep/gone/manifests/" + image.manifest().digest())
                .send();
        assertThat(deletedManifest.status()).as(deletedManifest::describe).isEqualTo(202);
        Response deletedBlob = httpOne.delete("/v2/rep/gone/blobs/" + layer).send();
        assertThat(deletedBlob.status()).as(deletedBlob::describe).isEqualTo(202);

        await("replica two forgets what replica one deleted")
                .atMost(CACHE_BOUND)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    Response manifest = httpTwo.get("/v2/rep/gone/manifests/v1")
                            .header("Accept", OciContent.MANIFEST)
                            .send();
                    Response head = httpTwo.head("/v2/rep/gone/blobs/" + layer).send();
                    Response get = httpTwo.get("/v2/rep/gone/blobs/" + layer).send();
                    // Whatever a replica still reports, it must be able to serve (checked on every poll). The cached
                    // answer may expire between the HEAD and the GET; then the replica must have stopped reporting
                    // the blob, not keep saying present.
                    if (head.status() == 200 && get.status() == 404) {
                        Response again =
                                httpTwo.head("/v2/rep/gone/blobs/" + layer).send();
                        assertThat(again.status())
                                .as("HEAD said present, GET: %s, HEAD again: %s", get.describe(), again.describe())
                                .isEqualTo(404);
                    } else if (head.status() == 200) {
                        assertThat(get.status())
                                .as("HEAD said present, GET: %s", get.describe())
                                .isEqualTo(200);
                        assertThat(get.body())
                                .isEqualTo(image.layers().get(0).blob().content());
                    }
                    return manifest.status() == 404 && head.status() == 404 && get.status() == 404;
                });
    }

    // ---------------------------------------------------------------- helpers

    private String docker(RegistryProcess replica, String reference) {
        return "docker://" + replica.hostPort() + "/" + reference;
    }

    private static String layoutManifestDigest(Path layout) throws Exception {
        return OciContent.readLayoutRefs(layout)
                .values()
                .iterator()
                .next()
                .get("digest")
                .asString();
    }

    private static Path blobFile(Path layout, String digest) {
        return layout.resolve("blobs").resolve(digest.replace(':', '/'));
    }

    private void skopeo(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
        command.addAll(List.of(args));
        Path auth = work.resolve("auth.json");
        if (!Files.exists(auth)) {
            Files.writeString(auth, "{}");
        }
        Path output = Files.createTempFile(work, "skopeo", ".txt");
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().put("REGISTRY_AUTH_FILE", auth.toString());
        Process process = builder.start();
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly().waitFor();
        }
        assertThat(exited && process.exitValue() == 0)
                .as(
                        "%s\n%s\nreplica one:\n%s\nreplica two:\n%s",
                        command, Files.readString(output, StandardCharsets.UTF_8), one.logTail(2000), two.logTail(2000))
                .isTrue();
    }
}
