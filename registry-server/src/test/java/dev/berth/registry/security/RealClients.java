package dev.berth.registry.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** skopeo and podman against the test registry, over plain HTTP, with private auth files. */
final class RealClients {
    private RealClients() {
    }

    static void assumeSkopeo() {
        assumeTrue(SecurityTestSupport.which("skopeo") != null, "skopeo not installed");
    }

    /**
     * Push needs the blob and manifest handlers; while they are still stubs (they answer 405), the push tests are
     * skipped rather than failed.
     */
    static void assumeRegistryAcceptsUploads(int port, String authorization) throws Exception {
        int status = SecurityTestSupport.send(port, "POST", "/v2/probe/uploads-check/blobs/uploads/", authorization)
                .statusCode();
        assumeTrue(status == 202, "blob uploads not implemented yet (POST answered " + status + ")");
    }

    static SecurityTestSupport.Run login(String client, Path dir, String registry, String user, String password)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(client, "login", "--tls-verify=false", "-u", user,
                "-p", password, registry));
        return SecurityTestSupport.run(dir, command);
    }

    /** Pushes a generated image with skopeo, then copies it back and checks it arrived whole. */
    static void pushAndPull(Path dir, String registry, String repository, String creds) throws Exception {
        Path source = Files.createTempDirectory(dir, "src");
        Path back = Files.createTempDirectory(dir, "back");
        SecurityTestSupport.writeOciLayout(source, "v1");
        String remote = "docker://" + registry + "/" + repository + ":v1";
        SecurityTestSupport.Run push = SecurityTestSupport.run(dir, List.of("skopeo", "copy", "--dest-tls-verify=false",
                "--dest-creds", creds, "oci:" + source + ":v1", remote));
        assertThat(push.exit()).as(push.output()).isZero();
        SecurityTestSupport.Run pull = SecurityTestSupport.run(dir, List.of("skopeo", "copy", "--src-tls-verify=false",
                "--src-creds", creds, remote, "oci:" + back + ":v1"));
        assertThat(pull.exit()).as(pull.output()).isZero();
        assertThat(Files.readString(back.resolve("index.json"))).contains("sha256:");
    }
}
