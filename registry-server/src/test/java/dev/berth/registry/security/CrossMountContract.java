package dev.berth.registry.security;

import static dev.berth.registry.security.SecurityTestSupport.htpasswdLine;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.oci.MediaTypes;
import dev.berth.registry.testing.LogCapture;
import dev.berth.registry.testing.Resp;
import dev.berth.registry.testing.TestHttp;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The cross-repository mount rule with authentication on, the same cases for htpasswd and token mode: a mount
 * answers 201 only from a valid {@code from} the caller may pull and that links the blob. Every refused mount must
 * answer 202 with a working upload session, leave the blob unreadable in the target repository, and leave an
 * audit line. The rules: alice may do everything; bob may push and pull {@code bob/**} and pull
 * {@code shared/**}; anyone may pull {@code public/**}.
 */
abstract class CrossMountContract {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final AtomicInteger COUNTER = new AtomicInteger();

    final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @LocalServerPort
    int port;

    /** Users, storage and access rules shared by both modes. */
    static void commonProperties(DynamicPropertyRegistry registry, Path dir) throws Exception {
        Path htpasswd = dir.resolve("htpasswd");
        Files.write(htpasswd, List.of(htpasswdLine("alice", "alice-secret"), htpasswdLine("bob", "bob-secret")));
        registry.add("berth.storage.filesystem.root", () -> dir.resolve("data").toString());
        registry.add("berth.auth.htpasswd.path", htpasswd::toString);
        registry.add("berth.auth.rules[0].users", () -> "alice");
        registry.add("berth.auth.rules[0].repository", () -> "**");
        registry.add("berth.auth.rules[0].actions", () -> "*");
        registry.add("berth.auth.rules[1].users", () -> "bob");
        registry.add("berth.auth.rules[1].repository", () -> "bob/**");
        registry.add("berth.auth.rules[1].actions", () -> "pull,push");
        registry.add("berth.auth.rules[2].users", () -> "bob");
        registry.add("berth.auth.rules[2].repository", () -> "shared/**");
        registry.add("berth.auth.rules[2].actions", () -> "pull");
        registry.add("berth.auth.rules[3].repository", () -> "public/**");
        registry.add("berth.auth.rules[3].anonymous", () -> "true");
    }

    /**
     * The {@code Authorization} header {@code user} sends to push to {@code target}, having asked (as docker and
     * containerd do) for pull on {@code from} too when it is given.
     */
    abstract String authorization(String user, String target, String from) throws Exception;

    // ---- the refused mounts

    @Test
    void aMountWithoutFromIsRefused() throws Exception {
        byte[] secret = unique("no-from");
        Digest digest = pushBlob("alice", repo("team/secret"), secret);
        assertRefused(repo("bob/x"), digest, null, secret);
    }

    @Test
    void aMountFromARepositoryTheCallerCannotPullIsRefused() throws Exception {
        byte[] secret = unique("foreign");
        String source = repo("team/secret");
        Digest digest = pushBlob("alice", source, secret);
        assertRefused(repo("bob/x"), digest, source, secret);
    }

    @Test
    void aMountFromAnInvalidRepositoryNameIsRefused() throws Exception {
        byte[] secret = unique("invalid");
        Digest digest = pushBlob("alice", "team/secret", secret);
        assertRefused(repo("bob/x"), digest, "Team/Secret", secret);
        assertRefused(repo("bob/x"), digest, "team/secret/../../public/x", secret);
    }

    @Test
    void aManifestDigestIsRefusedLikeABlob() throws Exception {
        String source = repo("team/secret");
        byte[] manifest = pushImage("alice", source, unique("manifest layer"));
        Digest digest = Digest.sha256(manifest);
        String target = repo("bob/x");
        assertRefused(target, digest, null, manifest);
        assertRefused(repo("bob/x"), digest, source, manifest);
        assertThat(send("GET", "/v2/" + target + "/manifests/" + digest, null, authorization("bob", target, null))
                        .status())
                .isEqualTo(404);
    }

    @Test
    void aMountFromAReadableRepositoryThatDoesNotLinkTheBlobIsRefused() throws Exception {
        byte[] secret = unique("not linked");
        Digest digest = pushBlob("alice", repo("team/secret"), secret);
        pushBlob("alice", repo("public/tools"), unique("something else"));
        assertRefused(repo("bob/x"), digest, repo("public/tools"), secret);
        assertRefused(repo("bob/x"), digest, repo("shared/lib"), secret);
    }

    // ---- the allowed mount

    @Test
    void aMountFromAReadableRepositoryThatLinksTheBlobIsCreated() throws Exception {
        byte[] shared = unique("shared");
        String source = repo("shared/lib");
        Digest digest = pushBlob("alice", source, shared);
        String target = repo("bob/x");
        String bob = authorization("bob", target, source);
        try (LogCapture audit = LogCapture.start("berth.audit")) {
            Resp mount =
                    send("POST", "/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source, null, bob);
            assertThat(mount.status()).as("%s", mount).isEqualTo(201);
            assertThat(mount.header("Location")).isEqualTo("/v2/" + target + "/blobs/" + digest);
            assertThat(mount.header("Docker-Content-Digest")).isEqualTo(digest.toString());
            assertThat(audit.lines())
                    .singleElement()
                    .asString()
                    .startsWith("event=mount ")
                    .contains(
                            " repository=" + target + " ",
                            " digest=" + digest + " ",
                            " mount_from=" + source + " ",
                            " status=201 user=bob ");
        }
        Resp blob = send("GET", "/v2/" + target + "/blobs/" + digest, null, bob);
        assertThat(blob.status()).isEqualTo(200);
        assertThat(blob.body()).isEqualTo(shared);
    }

    // ---- helpers

    /**
     * Bob mounts {@code digest} into {@code target}: the answer must be an ordinary upload session, the blob must
     * stay unreadable there, the refusal must be audited, and uploading {@code content} to the session must work.
     */
    void assertRefused(String target, Digest digest, String from, byte[] content) throws Exception {
        String bob = authorization("bob", target, from);
        String path = "/v2/" + target + "/blobs/uploads/?mount=" + digest
                + (from == null ? "" : "&from=" + URLEncoder.encode(from, StandardCharsets.UTF_8));
        Resp mount;
        try (LogCapture audit = LogCapture.start("berth.audit")) {
            mount = send("POST", path, null, bob);
            assertThat(mount.status()).as("%s", mount).isEqualTo(202);
            assertThat(audit.lines())
                    .singleElement()
                    .asString()
                    .startsWith("event=mount-refused ")
                    .contains(" repository=" + target + " ", " digest=" + digest + " ", " status=202 user=bob ")
                    .contains(from == null ? " reason=" : " mount_from=" + from + " ");
        }
        assertThat(mount.header("Docker-Content-Digest")).isNull();
        String location = mount.header("Location");
        assertThat(location).startsWith("/v2/" + target + "/blobs/uploads/");
        // The bytes did not leak into the target repository.
        assertThat(send("GET", "/v2/" + target + "/blobs/" + digest, null, bob).status())
                .isEqualTo(404);
        assertThat(send("HEAD", "/v2/" + target + "/blobs/" + digest, null, bob).status())
                .isEqualTo(404);
        // The session is a real one: sending the bytes completes it.
        Resp put = send(
                "PUT",
                location + (location.contains("?") ? "&" : "?") + "digest=" + digest,
                content,
                bob,
                "Content-Type",
                "application/octet-stream");
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        Resp blob = send("GET", "/v2/" + target + "/blobs/" + digest, null, bob);
        assertThat(blob.status()).isEqualTo(200);
        assertThat(blob.body()).isEqualTo(content);
    }

    Digest pushBlob(String user, String repo, byte[] content) throws Exception {
        Digest digest = Digest.sha256(content);
        Resp r = send(
                "POST",
                "/v2/" + repo + "/blobs/uploads/?digest=" + digest,
                content,
                authorization(user, repo, null),
                "Content-Type",
                "application/octet-stream");
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        return digest;
    }

    /** Pushes an image (config, one layer, manifest) under tag {@code v1}; returns the manifest's bytes. */
    byte[] pushImage(String user, String repo, byte[] layer) throws Exception {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":\"" + COUNTER.incrementAndGet() + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        Digest c = pushBlob(user, repo, config);
        Digest l = pushBlob(user, repo, layer);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{"
                        + "\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + c + "\",\"size\":"
                        + config.length + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_GZIP
                        + "\",\"digest\":\""
                        + l + "\",\"size\":" + layer.length + "}]}")
                .getBytes(StandardCharsets.UTF_8);
        Resp r = send(
                "PUT",
                "/v2/" + repo + "/manifests/v1",
                manifest,
                authorization(user, repo, null),
                "Content-Type",
                MediaTypes.OCI_MANIFEST);
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        return manifest;
    }

    Resp send(String method, String path, byte[] body, String authorization, String... headers) {
        List<String> all = new ArrayList<>(List.of(headers));
        if (authorization != null) {
            all.add("Authorization");
            all.add(authorization);
        }
        return TestHttp.send(
                client,
                method,
                URI.create("http://127.0.0.1:" + port + path),
                body,
                TIMEOUT,
                all.toArray(String[]::new));
    }

    /** A repository name of its own under {@code prefix}, so the tests do not see each other's content. */
    static String repo(String prefix) {
        return prefix + "-" + COUNTER.incrementAndGet();
    }

    static byte[] unique(String text) {
        return (text + " " + COUNTER.incrementAndGet() + " " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
    }
}
