package dev.berth.registry.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.oci.OciJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** skopeo and podman against the test registry, over plain HTTP, with private auth files. */
final class RealClients {
    private RealClients() {}

    static void assumeSkopeo() {
        assumeTrue(SecurityTestSupport.which("skopeo") != null, "skopeo not installed");
    }

    /** Opening an upload session answers 202: a registry that refuses uploads fails here with its answer. */
    static void assertRegistryAcceptsUploads(int port, String authorization) throws Exception {
        var response = SecurityTestSupport.send(port, "POST", "/v2/probe/uploads-check/blobs/uploads/", authorization);
        assertThat(response.statusCode())
                .as("POST of an upload session: %s", response.body())
                .isEqualTo(202);
    }

    static SecurityTestSupport.Run login(String client, Path dir, String registry, String user, String password)
            throws Exception {
        List<String> command =
                new ArrayList<>(List.of(client, "login", "--tls-verify=false", "-u", user, "-p", password, registry));
        return SecurityTestSupport.run(dir, command);
    }

    /** Pushes a generated image with skopeo, then copies it back and checks it arrived whole. */
    static void pushAndPull(Path dir, String registry, String repository, String creds) throws Exception {
        Path source = Files.createTempDirectory(dir, "src");
        Path back = Files.createTempDirectory(dir, "back");
        SecurityTestSupport.writeOciLayout(source, "v1");
        String remote = "docker://" + registry + "/" + repository + ":v1";
        SecurityTestSupport.Run push = SecurityTestSupport.run(
                dir,
                List.of(
                        "skopeo",
                        "copy",
                        "--dest-tls-verify=false",
                        "--dest-creds",
                        creds,
                        "oci:" + source + ":v1",
                        remote));
        assertThat(push.exit()).as(push.output()).isZero();
        SecurityTestSupport.Run pull = SecurityTestSupport.run(
                dir,
                List.of(
                        "skopeo",
                        "copy",
                        "--src-tls-verify=false",
                        "--src-creds",
                        creds,
                        remote,
                        "oci:" + back + ":v1"));
        assertThat(pull.exit()).as(pull.output()).isZero();
        // The image came back unchanged: the same manifest digest, and the same blobs, each matching its digest.
        assertThat(manifestDigest(back)).isEqualTo(manifestDigest(source));
        assertThat(blobDigests(back)).isEqualTo(blobDigests(source));
    }

    private static String manifestDigest(Path layout) throws Exception {
        return OciJson.mapper()
                .readTree(Files.readAllBytes(layout.resolve("index.json")))
                .get("manifests")
                .get(0)
                .get("digest")
                .asString();
    }

    /** File name to the digest of its content, for every blob of an OCI layout. */
    private static Map<String, String> blobDigests(Path layout) throws Exception {
        Map<String, String> digests = new TreeMap<>();
        try (Stream<Path> blobs = Files.list(layout.resolve("blobs/sha256"))) {
            for (Path blob : blobs.toList()) {
                digests.put("sha256:" + blob.getFileName(), SecurityTestSupport.sha256(Files.readAllBytes(blob)));
            }
        }
        digests.forEach((name, digest) ->
                assertThat(digest).as("content of blob %s", name).isEqualTo(name));
        return digests;
    }
}
