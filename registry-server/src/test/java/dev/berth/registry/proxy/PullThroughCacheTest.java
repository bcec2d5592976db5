package dev.berth.registry.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.oci.Digest;
import dev.berth.registry.RegistryApplication;
import dev.berth.registry.testing.Resp;
import dev.berth.registry.testing.TestHttp;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Berth as a pull-through cache of real upstreams on loopback: the CNCF registry with htpasswd Basic auth
 * ({@code cncf.test}, prefix {@code cncf}), a second Berth in token mode with anonymous pull ({@code hub.test},
 * prefix {@code hub}, the default upstream), a CNCF registry the tests stop and restart ({@code flaky.test}) and
 * a registry that serves wrong bytes ({@code liar.test}).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class PullThroughCacheTest {
    static final String USER = "puller";
    static final String PASSWORD = "pull-secret";

    @TempDir
    static Path dir;

    static CncfRegistry cncf;
    static CncfRegistry flaky;
    static LyingUpstream liar;
    static ConfigurableApplicationContext hub;
    static int hubPort;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        cncf = CncfRegistry.start(dir.resolve("cncf"), USER, PASSWORD);
        flaky = CncfRegistry.start(dir.resolve("flaky"), null, null);
        liar = new LyingUpstream();
        hub = startTokenBerth(dir.resolve("hub"));
        hubPort = Integer.parseInt(hub.getEnvironment().getProperty("local.server.port"));

        registry.add("berth.storage.filesystem.root", () -> dir.resolve("proxy").toString());
        registry.add("berth.proxy.enabled", () -> "true");
        registry.add("berth.proxy.upstreams[0].name", () -> "cncf.test");
        registry.add("berth.proxy.upstreams[0].url", cncf::url);
        registry.add("berth.proxy.upstreams[0].prefix", () -> "cncf");
        registry.add("berth.proxy.upstreams[0].username", () -> USER);
        registry.add("berth.proxy.upstreams[0].password", () -> PASSWORD);
        registry.add("berth.proxy.upstreams[1].name", () -> "hub.test");
        registry.add("berth.proxy.upstreams[1].url", () -> "http://127.0.0.1:" + hubPort);
        registry.add("berth.proxy.upstreams[1].prefix", () -> "hub");
        registry.add("berth.proxy.upstreams[1].default", () -> "true");
        registry.add("berth.proxy.upstreams[2].name", () -> "flaky.test");
        registry.add("berth.proxy.upstreams[2].url", flaky::url);
        registry.add("berth.proxy.upstreams[2].prefix", () -> "flaky");
        registry.add("berth.proxy.upstreams[2].tag-ttl", () -> "1s");
        registry.add("berth.proxy.upstreams[3].name", () -> "liar.test");
        registry.add("berth.proxy.upstreams[3].url", liar::url);
        registry.add("berth.proxy.upstreams[3].prefix", () -> "liar");
    }

    /** A second Berth with its own token endpoint: alice pushes, anyone pulls (like Docker Hub's anonymous flow). */
    private static ConfigurableApplicationContext startTokenBerth(Path root) throws IOException {
        Files.createDirectories(root);
        Path htpasswd = root.resolve("htpasswd");
        Files.writeString(
                htpasswd,
                "alice:"
                        + org.springframework.security.crypto.bcrypt.BCrypt.hashpw(
                                "alice-secret", org.springframework.security.crypto.bcrypt.BCrypt.gensalt(5))
                        + "\n");
        return new SpringApplicationBuilder(RegistryApplication.class)
                .run(
                        "--server.port=0",
                        "--berth.storage.filesystem.root=" + root.resolve("data"),
                        "--berth.auth.mode=token",
                        "--berth.auth.htpasswd.path=" + htpasswd,
                        "--berth.auth.token.issuer-endpoint.enabled=true",
                        "--berth.auth.rules[0].users=alice",
                        "--berth.auth.rules[0].actions=*",
                        "--berth.auth.rules[1].anonymous=true",
                        "--berth.auth.rules[1].actions=pull",
                        "--spring.jmx.enabled=false");
    }

    @AfterAll
    static void stopUpstreams() throws Exception {
        if (hub != null) {
            hub.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {cncf, flaky, liar}) {
            if (c != null) {
                c.close();
            }
        }
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    Images cncfImages() {
        return new Images(cncf.url(), basic(USER, PASSWORD));
    }

    /** Pushes to the token-mode Berth with a push token for {@code repo}. */
    Images hubImages(String repo) {
        Resp token = TestHttp.send(
                Images.HTTP,
                "GET",
                URI.create("http://127.0.0.1:" + hubPort + "/auth/token?service=berth-registry&scope=repository:" + repo
                        + ":pull,push"),
                (byte[]) null,
                Duration.ofSeconds(30),
                "Authorization",
                basic("alice", "alice-secret"));
        assertThat(token.status()).as("%s", token).isEqualTo(200);
        return new Images(
                "http://127.0.0.1:" + hubPort,
                "Bearer " + token.json().get("token").asString());
    }

    Images proxy() {
        return new Images("http://127.0.0.1:" + port, null);
    }

    Resp get(String path, String... headers) {
        return proxy().send("GET", path, HttpRequest.BodyPublishers.noBody(), headers);
    }

    @Test
    void manifestsAndBlobsComeFromABasicAuthUpstreamUnderItsPrefix() throws Exception {
        byte[] layer = Images.layer(1, 4096);
        String digest = cncfImages().pushImage("team/app", "v1", layer);

        Resp manifest = get("/v2/cncf/team/app/manifests/v1");
        assertThat(manifest.status()).as("%s", manifest).isEqualTo(200);
        assertThat(manifest.header("Docker-Content-Digest")).isEqualTo(digest);
        assertThat(Digest.sha256(manifest.body()).toString()).isEqualTo(digest);

        Resp blob = get("/v2/cncf/team/app/blobs/" + Digest.sha256(layer));
        assertThat(blob.status()).as("%s", blob).isEqualTo(200);
        assertThat(blob.body()).isEqualTo(layer);
        String hex = Digest.sha256(layer).hex();
        // Committed once the client has its last byte, not before.
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(
                                dir.resolve("proxy/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data"))
                        .hasBinaryContent(layer));

        // Cached now: by digest it is served without asking the upstream.
        long before = cncf.requests("GET", "/v2/team/app/blobs/" + Digest.sha256(layer), 200);
        Resp again = get("/v2/cncf/team/app/blobs/" + Digest.sha256(layer), "Range", "bytes=10-19");
        assertThat(again.status()).isEqualTo(206);
        assertThat(again.body()).isEqualTo(java.util.Arrays.copyOfRange(layer, 10, 20));
        assertThat(cncf.requests("GET", "/v2/team/app/blobs/" + Digest.sha256(layer), 200))
                .isEqualTo(before);

        Resp missing = get("/v2/cncf/team/app/manifests/nope");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.errorCode()).isEqualTo("MANIFEST_UNKNOWN");
    }

    @Test
    void aTokenUpstreamServesThePrefixTheNamespaceAndTheDefaultForms() throws Exception {
        byte[] layer = Images.layer(2, 2048);
        String digest = hubImages("library/alpine").pushImage("library/alpine", "3", layer);

        for (String path : List.of(
                "/v2/hub/library/alpine/manifests/3",
                "/v2/library/alpine/manifests/3",
                "/v2/library/alpine/manifests/3?ns=hub.test")) {
            Resp r = get(path);
            assertThat(r.status()).as("%s: %s", path, r).isEqualTo(200);
            assertThat(r.header("Docker-Content-Digest")).as(path).isEqualTo(digest);
        }
        Resp blob = get("/v2/library/alpine/blobs/" + Digest.sha256(layer) + "?ns=hub.test");
        assertThat(blob.status()).as("%s", blob).isEqualTo(200);
        assertThat(blob.body()).isEqualTo(layer);
    }

    @Test
    void localRepositoriesComeFirstAndMirroredOnesRefuseWrites() {
        Images proxy = proxy();
        String local = proxy.pushImage("mine/app", "v1", "local layer".getBytes(StandardCharsets.UTF_8));
        // An unprefixed name that exists locally is local, even with a default upstream.
        assertThat(get("/v2/mine/app/manifests/v1").header("Docker-Content-Digest"))
                .isEqualTo(local);

        Resp post = proxy.send("POST", "/v2/cncf/team/app/blobs/uploads/", HttpRequest.BodyPublishers.noBody());
        assertThat(post.status()).as("%s", post).isEqualTo(405);
        assertThat(post.errorCode()).isEqualTo("UNSUPPORTED");
        assertThat(post.text()).contains("read-only cache of upstream cncf.test");
        Resp put = proxy.send(
                "PUT",
                "/v2/library/alpine/manifests/3?ns=hub.test",
                HttpRequest.BodyPublishers.ofString("{}"),
                "Content-Type",
                "application/vnd.oci.image.manifest.v1+json");
        assertThat(put.status()).as("%s", put).isEqualTo(405);
    }

    @Test
    void twentyConcurrentPullsOfAnUncachedLayerFetchItOnce() throws Exception {
        Path big = dir.resolve("big.bin");
        long size = 100L << 20;
        Digest layer = Images.randomFile(big, 3, size);
        cncfImages()
                .pushImage(
                        "team/big",
                        "v1",
                        layer,
                        size,
                        null,
                        () -> cncfImages().pushBlob("team/big", layer, bodyOf(big)));
        String path = "/v2/team/big/blobs/" + layer;

        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<String>> pulls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                pulls.add(pool.submit((Callable<String>) () -> {
                    HttpResponse<InputStream> r = Images.HTTP.send(
                            HttpRequest.newBuilder(
                                            URI.create("http://127.0.0.1:" + port + "/v2/cncf/team/big/blobs/" + layer))
                                    .timeout(Duration.ofMinutes(3))
                                    .build(),
                            HttpResponse.BodyHandlers.ofInputStream());
                    assertThat(r.statusCode()).isEqualTo(200);
                    return Images.digestOf(r.body());
                }));
            }
            for (Future<String> pull : pulls) {
                assertThat(pull.get()).isEqualTo(layer.toString());
            }
        } finally {
            pool.shutdownNow();
        }
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(cncf.requests("GET", path, 200)).isEqualTo(1));
    }

    @Test
    void concurrentRequestsForAnUncachedTagFetchTheManifestOnce() throws Exception {
        String digest = cncfImages().pushImage("team/conc", "v1", Images.layer(10, 1024));
        List<java.util.concurrent.CompletableFuture<HttpResponse<byte[]>>> gets = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            gets.add(Images.HTTP.sendAsync(
                    request("/v2/cncf/team/conc/manifests/v1"), HttpResponse.BodyHandlers.ofByteArray()));
        }
        for (var get : gets) {
            assertThat(get.get().statusCode()).isEqualTo(200);
            assertThat(get.get().headers().firstValue("Docker-Content-Digest")).hasValue(digest);
        }
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(cncf.requests("GET", "/v2/team/conc/manifests/v1", 200))
                        .isEqualTo(1));
    }

    private static HttpRequest.BodyPublisher bodyOf(Path file) {
        try {
            return HttpRequest.BodyPublishers.ofFile(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void anUpstreamThatServesWrongBytesFailsTheClientAndLeavesNothingCached() throws Exception {
        Resp manifest = get("/v2/liar/lies/app/manifests/v1");
        assertThat(manifest.status()).as("%s", manifest).isEqualTo(200);
        int gets = liar.blobGets.get();
        for (int attempt = 1; attempt <= 2; attempt++) {
            // The small config fails before the response starts: a 503 naming the upstream.
            HttpResponse<byte[]> small = Images.HTTP.send(
                    request("/v2/liar/lies/app/blobs/" + LyingUpstream.CONFIG),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(small.statusCode()).isEqualTo(503);
            assertThat(new String(small.body(), StandardCharsets.UTF_8)).contains("liar.test");
            // The 1 MiB layer streams; the connection is cut before its last bytes.
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Images.HTTP.send(
                            request("/v2/liar/lies/app/blobs/" + LyingUpstream.LAYER),
                            HttpResponse.BodyHandlers.ofByteArray()))
                    .isInstanceOf(IOException.class);
            // Nothing cached: every request goes to the upstream again.
            assertThat(liar.blobGets.get()).isEqualTo(gets + 2 * attempt);
        }
        for (Digest d : List.of(LyingUpstream.CONFIG, LyingUpstream.LAYER)) {
            assertThat(dir.resolve("proxy/v2/blobs/sha256/" + d.hex().substring(0, 2) + "/" + d.hex()))
                    .doesNotExist();
        }
        assertThat(get("/v2/liar/lies/app/blobs/" + LyingUpstream.LAYER, "Range", "bytes=0-9")
                        .status())
                .isEqualTo(503);
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .build();
    }

    @Test
    void upstreamErrorsBecomeSpecErrors() {
        Resp busy = get("/v2/liar/busy/app/manifests/v1");
        assertThat(busy.status()).as("%s", busy).isEqualTo(429);
        assertThat(busy.errorCode()).isEqualTo("TOOMANYREQUESTS");
        assertThat(busy.header("Retry-After")).isEqualTo("7");
        Resp missing = get("/v2/liar/unknown/app/blobs/" + Digest.sha256(new byte[] {1}));
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.errorCode()).isEqualTo("BLOB_UNKNOWN");
    }

    @Test
    void cachedTagsSurviveAnOutageAndMovedTagsAreSeenAfterTheirTtl() throws Exception {
        Images upstream = new Images(flaky.url(), null);
        String first = upstream.pushImage("team/app", "v1", Images.layer(4, 1024));
        assertThat(get("/v2/flaky/team/app/manifests/v1").header("Docker-Content-Digest"))
                .isEqualTo(first);

        flaky.stop();
        try {
            // After the 1 s tag-ttl the tag is revalidated, fails, and is served from the cache marked stale.
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                Resp r = get("/v2/flaky/team/app/manifests/v1");
                assertThat(r.status()).as("%s", r).isEqualTo(200);
                assertThat(r.header(ProxyRoutes.STALE_HEADER)).isEqualTo("true");
                assertThat(r.header("Docker-Content-Digest")).isEqualTo(first);
            });
            Resp uncached = get("/v2/flaky/team/other/manifests/v1");
            assertThat(uncached.status()).as("%s", uncached).isEqualTo(503);
            assertThat(uncached.errorCode()).isEqualTo("UNAVAILABLE");
            assertThat(uncached.text()).contains("flaky.test");
        } finally {
            flaky.start();
        }
        String moved = upstream.pushImage("team/app", "v1", Images.layer(5, 1024));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            Resp r = get("/v2/flaky/team/app/manifests/v1");
            assertThat(r.header("Docker-Content-Digest")).isEqualTo(moved);
            assertThat(r.header(ProxyRoutes.STALE_HEADER)).isNull();
        });
    }

    @Test
    void metricsCountPerUpstream() throws Exception {
        cncfImages().pushImage("team/metrics", "v1", Images.layer(6, 512));
        assertThat(get("/v2/cncf/team/metrics/manifests/v1").status()).isEqualTo(200);
        String metrics = get("/actuator/prometheus").text();
        assertThat(metrics)
                .contains("berth_proxy_misses_total{upstream=\"cncf.test\"}")
                .contains("berth_proxy_fetched_bytes_total{upstream=\"cncf.test\"}");
    }

    @Test
    void skopeoCopiesThroughThePrefixForm() throws Exception {
        String digest = cncfImages().pushImage("team/skopeo", "v1", Images.layer(7, 8192));
        Path out = dir.resolve("skopeo-out");
        Daemons.Result r = Daemons.run(
                List.of(
                        "skopeo",
                        "copy",
                        "--src-tls-verify=false",
                        "docker://127.0.0.1:" + port + "/cncf/team/skopeo:v1",
                        "oci:" + out + ":v1"),
                dir.resolve("skopeo.log"));
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(Files.readString(out.resolve("index.json"))).contains(digest);
    }

    /**
     * containerd's {@code hosts.toml} mirror sends {@code ?ns=cncf.test}: only that routes the unprefixed name to
     * the CNCF upstream (without it, the default upstream would answer 404).
     */
    @Test
    void containerdPullsThroughAHostsTomlMirror() throws Exception {
        String digest = cncfImages().pushImage("team/ctr", "v1", Images.layer(8, 8192));
        Path hosts = Files.createDirectories(dir.resolve("certs.d/cncf.test"));
        Files.writeString(hosts.resolve("hosts.toml"), """
                server = "https://cncf.test"
                [host."http://127.0.0.1:%d"]
                  capabilities = ["pull", "resolve"]
                """.formatted(port));
        try (Daemons.Daemon containerd = Daemons.containerd(dir.resolve("containerd"))) {
            String socket = containerd.socket.toString();
            Daemons.Result pull = containerd.cli(
                    "ctr",
                    "-a",
                    socket,
                    "-n",
                    "proxy-test",
                    "image",
                    "pull",
                    "--hosts-dir",
                    dir.resolve("certs.d").toString(),
                    "cncf.test/team/ctr:v1");
            assertThat(pull.exit()).as(pull.output()).isZero();
            Daemons.Result list = containerd.cli("ctr", "-a", socket, "-n", "proxy-test", "image", "ls");
            assertThat(list.output()).contains("cncf.test/team/ctr:v1").contains(digest);
        }
    }

    /** dockerd with {@code registry-mirrors} asks for Docker Hub names unprefixed: the default upstream serves them. */
    @Test
    void dockerdPullsThroughRegistryMirrors() throws Exception {
        String digest = hubImages("library/mirrored").pushImage("library/mirrored", "1", Images.layer(9, 8192));
        try (Daemons.Daemon docker = Daemons.dockerd(dir.resolve("docker"), "http://127.0.0.1:" + port)) {
            String host = "unix://" + docker.socket;
            Daemons.Result pull = docker.cli("docker", "-H", host, "pull", "mirrored:1");
            assertThat(pull.exit()).as(pull.output()).isZero();
            Daemons.Result inspect = docker.cli(
                    "docker", "-H", host, "image", "inspect", "--format", "{{json .RepoDigests}}", "mirrored:1");
            assertThat(inspect.output()).contains(digest);
        }
    }
}
