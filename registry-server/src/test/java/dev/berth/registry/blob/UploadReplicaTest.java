package dev.berth.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.registry.RegistryApplication;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.testing.Resp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.TestPropertySource;

/**
 * Upload state lives in storage: a second registry instance (a replica: its own Spring context, driver and
 * port, over the same storage root) continues uploads the first one started, and the other way round.
 */
@TestPropertySource(properties = "berth.uploads.portable-digest-state=true")
class UploadReplicaTest extends BlobApiSupport {
    private static ConfigurableApplicationContext replica;
    private static int replicaPort;
    /** A replica in the default mode: its digests stay in its memory. */
    private static ConfigurableApplicationContext fastReplica;

    private static int fastReplicaPort;

    @BeforeAll
    static void startReplica() {
        replica = new SpringApplicationBuilder(RegistryApplication.class)
                // Arguments, not default properties: application.properties would override those (port 5000).
                .run(
                        "--server.port=0",
                        "--berth.storage.filesystem.root=" + ROOT,
                        "--spring.main.banner-mode=off",
                        "--berth.uploads.portable-digest-state=true");
        replicaPort = ((WebServerApplicationContext) replica).getWebServer().getPort();
        fastReplica = new SpringApplicationBuilder(RegistryApplication.class)
                .run("--server.port=0", "--berth.storage.filesystem.root=" + ROOT, "--spring.main.banner-mode=off");
        fastReplicaPort =
                ((WebServerApplicationContext) fastReplica).getWebServer().getPort();
    }

    @AfterAll
    static void stopReplica() {
        if (replica != null) {
            replica.close();
        }
        if (fastReplica != null) {
            fastReplica.close();
        }
    }

    /** The same path on the replica. */
    private String onReplica(String path) {
        return "http://127.0.0.1:" + replicaPort + path;
    }

    @Override
    protected java.net.URI uri(String pathOrLocation) {
        return pathOrLocation.startsWith("http") ? java.net.URI.create(pathOrLocation) : super.uri(pathOrLocation);
    }

    @Test
    void replicasContinueEachOthersUploadsWithoutRehashing() throws IOException {
        String repo = newRepo("replica");
        byte[] content = randomBytes(90_000, 40);
        Digest digest = Digest.compute(DigestAlgorithm.SHA512, content);
        String location = startUpload(repo, "?digest-algorithm=sha512");
        String id = location.substring(location.lastIndexOf('/') + 1);

        assertThat(send("PATCH", location, Arrays.copyOfRange(content, 0, 30_000), "Content-Range", "0-29999")
                        .status())
                .isEqualTo(202);
        Resp second = send(
                "PATCH",
                onReplica(location),
                Arrays.copyOfRange(content, 30_000, 60_000),
                "Content-Range",
                "30000-59999");
        assertThat(second.status()).as("%s", second).isEqualTo(202);
        assertThat(second.header("Range")).isEqualTo("0-59999");
        // The replica resumed from the saved state and saved its own for the next request.
        assertThat(hashStates(repo, id, DigestAlgorithm.SHA512)).containsExactly("30000", "60000");
        assertThat(get(onReplica(location)).header("Range")).isEqualTo("0-59999");

        Resp put = send(
                "PUT",
                location + "?digest=" + digest,
                Arrays.copyOfRange(content, 60_000, 90_000),
                "Content-Range",
                "60000-89999");
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(get(onReplica(blobPath(repo, digest))).body()).isEqualTo(content);
    }

    @Test
    void aLostDigestStateFallsBackToReadingTheDataBack() throws IOException {
        String repo = newRepo("lost");
        byte[] content = randomBytes(50_000, 41);
        String location = startUpload(repo, "");
        String id = location.substring(location.lastIndexOf('/') + 1);
        send("PATCH", location, Arrays.copyOfRange(content, 0, 20_000));
        // As after a crash between storing bytes and storing the state.
        deleteTree(ROOT.resolve(RegistryLayout.uploadHashStates(repo, id, DigestAlgorithm.SHA256)
                .substring(1)));

        assertThat(send("PATCH", onReplica(location), Arrays.copyOfRange(content, 20_000, 50_000))
                        .status())
                .isEqualTo(202);
        Resp wrong = send("PUT", location + "?digest=" + sha256(new byte[50_000]), (byte[]) null);
        assertThat(wrong.errorCode()).isEqualTo("DIGEST_INVALID");

        // Again, this time with the right digest.
        location = startUpload(repo, "");
        id = location.substring(location.lastIndexOf('/') + 1);
        send("PATCH", location, Arrays.copyOfRange(content, 0, 20_000));
        deleteTree(ROOT.resolve(RegistryLayout.uploadHashStates(repo, id, DigestAlgorithm.SHA256)
                .substring(1)));
        send("PATCH", onReplica(location), Arrays.copyOfRange(content, 20_000, 50_000));
        Resp put = send("PUT", onReplica(location) + "?digest=" + sha256(content), (byte[]) null);
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(get(blobPath(repo, sha256(content))).body()).isEqualTo(content);
    }

    @Test
    void aReplicaWithInMemoryDigestsFinishesAnUploadOthersStartedByReadingItBack() throws IOException {
        String repo = newRepo("fast");
        byte[] content = randomBytes(70_000, 42);
        String location = startUpload(repo, "");
        String fast = "http://127.0.0.1:" + fastReplicaPort + location;
        send("PATCH", location, Arrays.copyOfRange(content, 0, 30_000));
        // Two requests on the fast replica: the second continues the first one's in-memory digest.
        assertThat(send("PATCH", fast, Arrays.copyOfRange(content, 30_000, 50_000))
                        .status())
                .isEqualTo(202);
        assertThat(send("PATCH", fast, Arrays.copyOfRange(content, 50_000, 70_000))
                        .status())
                .isEqualTo(202);

        Resp put = send("PUT", fast + "?digest=" + sha256(content), (byte[]) null);
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(get(blobPath(repo, sha256(content))).body()).isEqualTo(content);
    }

    private static String[] hashStates(String repo, String id, DigestAlgorithm algorithm) throws IOException {
        Path dir = ROOT.resolve(
                RegistryLayout.uploadHashStates(repo, id, algorithm).substring(1));
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        }
    }
}
