package dev.berth.registry.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.it.OciContent.Blob;
import dev.berth.registry.it.OciContent.Image;
import dev.berth.registry.it.RegistryHttp.Response;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * skopeo against the packaged registry, end to end: OCI image layouts written by the test (a multi-layer image
 * and a linux/amd64 + linux/arm64 index) are pushed, inspected, pulled back by tag and by digest and compared
 * blob by blob, listed and deleted. skopeo probes HTTPS before falling back to plain HTTP; every command must
 * finish within {@link #MAX_COMMAND} so a registry that leaves the TLS probe hanging fails here.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SkopeoEndToEndIT {
    static final Duration MAX_COMMAND = Duration.ofSeconds(15);
    static final Duration KILL_AFTER = Duration.ofSeconds(60);
    static final Duration MAX_PROBE = Duration.ofSeconds(5);
    static final String APP = "e2e/app";
    static final String MULTI = "e2e/multi";

    @RegisterExtension
    static final RegistryProcess registry = RegistryProcess.create();

    static final RegistryHttp http = new RegistryHttp(registry::baseUri);

    @TempDir
    static Path work;

    static Image app;
    static Image amd64;
    static Image arm64;
    static Blob index;
    static Path source;
    static final Map<String, Duration> timings = new LinkedHashMap<>();

    @BeforeAll
    static void writeSourceLayout() throws IOException {
        Random random = new Random(20240601L);
        app = OciContent.image(random, "amd64", "multi-layer app", 1536 * 1024, 1024 * 1024, 768 * 1024, 64 * 1024);
        amd64 = OciContent.image(random, "amd64", "multi-arch amd64", 512 * 1024, 256 * 1024);
        arm64 = OciContent.image(random, "arm64", "multi-arch arm64", 512 * 1024, 256 * 1024);
        Map<String, Image> platforms = new LinkedHashMap<>();
        platforms.put("amd64", amd64);
        platforms.put("arm64", arm64);
        index = OciContent.index(platforms);

        List<Blob> blobs = new ArrayList<>(app.blobs());
        blobs.addAll(amd64.blobs());
        blobs.add(amd64.manifest());
        blobs.addAll(arm64.blobs());
        blobs.add(arm64.manifest());
        Map<String, Blob> refs = new LinkedHashMap<>();
        refs.put("v1", app.manifest());
        refs.put("multi", index);
        source = work.resolve("source");
        OciContent.writeLayout(source, refs, blobs);
    }

    @AfterAll
    static void printTimings() {
        StringBuilder s = new StringBuilder("skopeo command timings:");
        timings.forEach((command, time) ->
                s.append("\n  ").append(time.toMillis()).append(" ms  ").append(command));
        System.out.println(s);
    }

    // ---------------------------------------------------------------- the HTTPS-first probe

    /**
     * skopeo (containers/image) tries HTTPS before plain HTTP when TLS verification is off; if the registry
     * leaves the TLS ClientHello unanswered the probe hangs until Go's 10 s handshake timeout, on every command.
     * Measured directly: a TLS handshake against the port must end (either way) within {@link #MAX_PROBE}.
     */
    @Test
    @Order(0)
    void an_HTTPS_probe_on_the_registry_port_is_answered_promptly_instead_of_hanging() throws Exception {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {new TrustEverything()}, null);
        URI base = registry.baseUri();
        long start = System.nanoTime();
        String outcome;
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(base.getHost(), base.getPort())) {
            socket.setSoTimeout((int) Duration.ofSeconds(12).toMillis());
            socket.startHandshake();
            outcome = "handshake completed";
        } catch (IOException e) {
            outcome = e.toString();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        timings.put("(TLS probe: " + outcome + ")", took);
        assertThat(took)
                .as("TLS handshake on the registry port ended with %s after %s ms", outcome, took.toMillis())
                .isLessThanOrEqualTo(MAX_PROBE);
    }

    /** Accepts any certificate: the probe measures timing, not trust. */
    private static final class TrustEverything implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    // ---------------------------------------------------------------- push

    @Test
    @Order(1)
    void skopeo_copy_pushes_a_multi_layer_image_by_tag() throws Exception {
        skopeo("copy", "--dest-tls-verify=false", "oci:" + source + ":v1", docker(APP + ":v1"));
        Response manifest = http.get("/v2/" + APP + "/manifests/v1")
                .header("Accept", OciContent.MANIFEST)
                .send();
        assertThat(manifest.status()).as(manifest::describe).isEqualTo(200);
        assertThat(manifest.body())
                .as("manifest as stored")
                .isEqualTo(app.manifest().content());
        for (Blob blob : app.blobs()) {
            Response head = http.head("/v2/" + APP + "/blobs/" + blob.digest()).send();
            assertThat(head.status()).as(head::describe).isEqualTo(200);
        }
    }

    @Test
    @Order(2)
    void skopeo_copy_all_pushes_a_multi_arch_index() throws Exception {
        skopeo("copy", "--all", "--dest-tls-verify=false", "oci:" + source + ":multi", docker(MULTI + ":latest"));
        Response response = http.get("/v2/" + MULTI + "/manifests/latest")
                .header("Accept", OciContent.INDEX)
                .send();
        assertThat(response.status()).as(response::describe).isEqualTo(200);
        assertThat(response.body()).as("index as stored").isEqualTo(index.content());
        for (Image image : List.of(amd64, arm64)) {
            Response child = http.get(
                            "/v2/" + MULTI + "/manifests/" + image.manifest().digest())
                    .header("Accept", OciContent.MANIFEST)
                    .send();
            assertThat(child.status()).as(child::describe).isEqualTo(200);
            assertThat(child.body()).isEqualTo(image.manifest().content());
        }
    }

    // ---------------------------------------------------------------- inspect

    @Test
    @Order(3)
    void skopeo_inspect_raw_returns_the_pushed_manifest_and_index_bytes() throws Exception {
        assertThat(rawOutput(skopeo("inspect", "--raw", "--tls-verify=false", docker(APP + ":v1"))))
                .isEqualTo(app.manifest().content());
        assertThat(rawOutput(skopeo("inspect", "--raw", "--tls-verify=false", docker(MULTI + ":latest"))))
                .isEqualTo(index.content());
    }

    @Test
    @Order(4)
    void skopeo_inspect_reports_the_manifest_digest_and_layers() throws Exception {
        JsonNode inspect =
                RegistryHttp.JSON.readTree(skopeo("inspect", "--tls-verify=false", docker(APP + ":v1")).stdout);
        assertThat(inspect.path("Digest").asString()).isEqualTo(app.manifest().digest());
        assertThat(layerDigests(inspect))
                .isEqualTo(app.layers().stream().map(l -> l.blob().digest()).toList());
        assertThat(inspect.path("Architecture").asString()).isEqualTo("amd64");

        JsonNode arm = RegistryHttp.JSON.readTree(skopeo(
                        "inspect",
                        "--tls-verify=false",
                        "--override-os",
                        "linux",
                        "--override-arch",
                        "arm64",
                        docker(MULTI + ":latest"))
                .stdout);
        assertThat(arm.path("Architecture").asString()).isEqualTo("arm64");
        assertThat(layerDigests(arm))
                .isEqualTo(arm64.layers().stream().map(l -> l.blob().digest()).toList());
    }

    // ---------------------------------------------------------------- pull

    @Test
    @Order(5)
    void skopeo_copy_pulls_the_image_back_by_tag_with_identical_blobs() throws Exception {
        Path out = work.resolve("pull-by-tag");
        skopeo("copy", "--src-tls-verify=false", docker(APP + ":v1"), "oci:" + out + ":v1");
        assertLayout(out, "v1", app.manifest(), app.blobs());
    }

    @Test
    @Order(6)
    void skopeo_copy_pulls_the_image_back_by_digest_with_identical_blobs() throws Exception {
        Path out = work.resolve("pull-by-digest");
        skopeo(
                "copy",
                "--src-tls-verify=false",
                docker(APP + "@" + app.manifest().digest()),
                "oci:" + out + ":bydigest");
        assertLayout(out, "bydigest", app.manifest(), app.blobs());
    }

    @Test
    @Order(7)
    void skopeo_copy_all_pulls_the_index_back_with_both_platforms() throws Exception {
        Path out = work.resolve("pull-index");
        skopeo("copy", "--all", "--src-tls-verify=false", docker(MULTI + ":latest"), "oci:" + out + ":multi");
        List<Blob> expected = new ArrayList<>();
        for (Image image : List.of(amd64, arm64)) {
            expected.add(image.manifest());
            expected.addAll(image.blobs());
        }
        assertLayout(out, "multi", index, expected);
    }

    @Test
    @Order(8)
    void skopeo_copy_between_tags_of_the_registry_and_list_tags() throws Exception {
        skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", docker(APP + ":v1"), docker(APP + ":v2"));
        JsonNode list = RegistryHttp.JSON.readTree(skopeo("list-tags", "--tls-verify=false", docker(APP)).stdout);
        List<String> tags = new ArrayList<>();
        list.path("Tags").forEach(t -> tags.add(t.asString()));
        assertThat(tags).containsExactlyInAnyOrder("v1", "v2");
        Response v2 = http.head("/v2/" + APP + "/manifests/v2")
                .header("Accept", OciContent.MANIFEST)
                .send();
        assertThat(v2.status()).as(v2::describe).isEqualTo(200);
        assertThat(v2.header("Docker-Content-Digest"))
                .as(v2::describe)
                .isEqualTo(app.manifest().digest());
    }

    // ---------------------------------------------------------------- delete

    @Test
    @Order(9)
    void skopeo_delete_by_tag_removes_the_manifest_and_its_tags() throws Exception {
        // skopeo resolves the tag to a digest and deletes the manifest; v1 and v2 both pointed at it.
        skopeo("delete", "--tls-verify=false", docker(APP + ":v2"));
        for (String reference : List.of("v2", "v1", app.manifest().digest())) {
            Response response = http.get("/v2/" + APP + "/manifests/" + reference)
                    .header("Accept", OciContent.MANIFEST)
                    .send();
            assertThat(response.status()).as(response::describe).isEqualTo(404);
        }
        Response tags = http.get("/v2/" + APP + "/tags/list").send();
        if (tags.status() == 200) {
            assertThat(tags.json().path("tags").size()).as(tags::describe).isZero();
        } else {
            assertThat(tags.status()).as(tags::describe).isEqualTo(404);
        }
    }

    @Test
    @Order(10)
    void skopeo_delete_by_digest_removes_the_index() throws Exception {
        skopeo("delete", "--tls-verify=false", docker(MULTI + "@" + index.digest()));
        for (String reference : List.of(index.digest(), "latest")) {
            Response response = http.get("/v2/" + MULTI + "/manifests/" + reference)
                    .header("Accept", OciContent.INDEX)
                    .send();
            assertThat(response.status()).as(response::describe).isEqualTo(404);
        }
        Result inspect = run(List.of(
                "skopeo", "--insecure-policy", "inspect", "--raw", "--tls-verify=false", docker(MULTI + ":latest")));
        assertThat(inspect.exit)
                .as("skopeo inspect of a deleted tag must fail\n%s", inspect)
                .isNotZero();
    }

    // ---------------------------------------------------------------- helpers

    private String docker(String reference) {
        return "docker://" + registry.hostPort() + "/" + reference;
    }

    record Result(List<String> command, int exit, String stdout, String stderr, Duration took) {
        @Override
        public String toString() {
            return String.join(" ", command) + "\n  exit " + exit + " after " + took.toMillis() + " ms\n  stdout: "
                    + abbreviate(stdout) + "\n  stderr: " + abbreviate(stderr);
        }

        private static String abbreviate(String s) {
            return s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
        }
    }

    /** Runs skopeo, requiring exit 0 within {@link #MAX_COMMAND}. */
    private Result skopeo(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
        command.addAll(List.of(args));
        Result result = run(command);
        timings.put(String.join(" ", args), result.took);
        assertThat(result.exit)
                .as("skopeo failed\n%s\nregistry log tail:\n%s", result, registry.logTail(3000))
                .isZero();
        assertThat(result.took)
                .as("skopeo took longer than %s (stalled on the HTTPS probe?)\n%s", MAX_COMMAND, result)
                .isLessThanOrEqualTo(MAX_COMMAND);
        return result;
    }

    private Result run(List<String> command) throws Exception {
        Path stdout = Files.createTempFile(work, "stdout", ".txt");
        Path stderr = Files.createTempFile(work, "stderr", ".txt");
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        // No credentials of this machine's user are read or offered to the registry.
        Path auth = work.resolve("auth.json");
        if (!Files.exists(auth)) {
            Files.writeString(auth, "{}");
        }
        builder.environment().put("REGISTRY_AUTH_FILE", auth.toString());
        long start = System.nanoTime();
        Process process = builder.start();
        boolean exited = process.waitFor(KILL_AFTER.toSeconds(), TimeUnit.SECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (!exited) {
            process.destroyForcibly().waitFor();
        }
        return new Result(
                command,
                exited ? process.exitValue() : -1,
                Files.readString(stdout, StandardCharsets.UTF_8),
                Files.readString(stderr, StandardCharsets.UTF_8),
                took);
    }

    /** {@code inspect --raw} prints the manifest followed by a newline. */
    private static byte[] rawOutput(Result result) {
        String out = result.stdout;
        if (out.endsWith("\n")) {
            out = out.substring(0, out.length() - 1);
        }
        return out.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> layerDigests(JsonNode inspect) {
        List<String> layers = new ArrayList<>();
        inspect.path("Layers").forEach(l -> layers.add(l.asString()));
        return layers;
    }

    /** The layout's tag points at {@code root}, it holds every expected blob byte for byte, and no blob lies. */
    private static void assertLayout(Path out, String tag, Blob root, List<Blob> expected) throws IOException {
        Map<String, JsonNode> refs = OciContent.readLayoutRefs(out);
        assertThat(refs).as("tags of %s", out).containsKey(tag);
        assertThat(refs.get(tag).path("digest").asString()).isEqualTo(root.digest());
        List<Blob> all = new ArrayList<>(expected);
        all.add(root);
        Path blobs = out.resolve("blobs/sha256");
        for (Blob blob : all) {
            Path file = blobs.resolve(Digests.hex(blob.digest()));
            assertThat(file).as("pulled %s", blob).exists();
            assertThat(Files.readAllBytes(file)).as("pulled %s", blob).isEqualTo(blob.content());
        }
        try (Stream<Path> files = Files.list(blobs)) {
            for (Path file : files.toList()) {
                assertThat(Digests.sha256(file)).as("content of %s", file).isEqualTo("sha256:" + file.getFileName());
            }
        }
    }
}
