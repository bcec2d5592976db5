package dev.berth.puller.pull;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.puller.store.ChainIds;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.store.Store;
import dev.berth.puller.testing.LayerBuilder;
import dev.berth.puller.testing.OciLayout;
import dev.berth.puller.testing.TestImages;
import dev.berth.puller.testing.TestProxy;
import dev.berth.puller.testing.TestRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code berth-pull} processes (the packaged jar) against a real registry: two pulls of one image into one
 * store download each layer once; a pull killed with SIGKILL mid-layer resumes from its byte offset; the agent
 * exits 0 after SIGTERM. The image is 4 uncompressed layers of 8 MiB (32 MiB, not the 200 MiB: enough
 * to stop every layer mid-way, small enough for a loaded 2-core machine).
 */
class DownloadsIT {
    private static final int LAYERS = 4;
    private static final int LAYER_BYTES = 8 * 1024 * 1024;
    private static final long KEPT = 3 * 1024 * 1024;

    private static Path work;
    private static TestRegistry registry;
    private static TestProxy proxy;
    private static List<OciLayout.Layer> layers;
    private static String ref;

    @BeforeAll
    static void start() throws IOException {
        work = Files.createTempDirectory("berth-downloads-it");
        registry = TestRegistry.start(work.resolve("registry"));
        OciLayout layout = new OciLayout(work.resolve("layout"));
        layers = new ArrayList<>();
        for (int i = 0; i < LAYERS; i++) {
            byte[] random = new byte[LAYER_BYTES];
            new Random(i).nextBytes(random);
            // Uncompressed: nothing to spend the test's CPU on but the transfer.
            layers.add(OciLayout.Layer.plain(new LayerBuilder()
                    .dir("data")
                    .file("data/" + i, random, 0644, 0, 0)
                    .tar()));
        }
        layout.tag("big", layout.image(layers, TestImages.AMD64, null, null));
        registry.push(layout.dir(), "big", "dl/big:1");
        proxy = new TestProxy(registry.host());
        ref = proxy.host() + "/dl/big:1";
    }

    @AfterAll
    static void stop() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        if (registry != null) {
            registry.close();
        }
        FsUtil.deleteTree(work);
    }

    @Test
    void twoProcessesPullingOneImageIntoOneStoreDownloadEachLayerOnce() throws Exception {
        Path root = work.resolve("shared-root");
        CountDownLatch release = new CountDownLatch(1);
        proxy.clearRequests();
        int logged = registry.accessLog().size();
        proxy.addRule(r -> isLayer(r) ? new TestProxy.Action.HoldAfter(1024 * 1024, release) : null);
        Process first = pull(root, "first");
        Process second = null;
        try {
            // The first pull is inside every layer's download (it holds every layer's lock) ...
            await(() -> layerGets() == LAYERS);
            second = pull(root, "second");
            // ... and the second has reached every layer's lock file and waits on it.
            Process waiting = second;
            await(() -> openLockFiles(waiting.pid(), root) == LAYERS);
            release.countDown();
            assertThat(first.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(second.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(first.exitValue()).as(output("first")).isZero();
            assertThat(second.exitValue()).as(output("second")).isZero();
        } finally {
            release.countDown();
            first.destroyForcibly();
            if (second != null) {
                second.destroyForcibly();
            }
            proxy.clearRules();
        }
        // The registry served each layer blob once, in full.
        for (OciLayout.Layer l : layers) {
            Digest d = Digest.sha256(l.blob());
            assertThat(since(logged))
                    .filteredOn(s -> s.isBlob(d) && s.method().equals("GET"))
                    .singleElement()
                    .satisfies(s -> {
                        assertThat(s.status()).isEqualTo(200);
                        assertThat(s.bytes()).isEqualTo(l.blob().length);
                    });
        }
        assertThat(Store.open(root).images().get(ref)).isPresent();
    }

    @Test
    void aPullKilledMidLayerResumesFromItsOffset() throws Exception {
        Path root = work.resolve("resume-root");
        List<Digest> chainIds =
                ChainIds.of(layers.stream().map(OciLayout.Layer::diffId).toList());
        // Never opened: the held requests stay open (and out of the registry's log) until the proxy closes.
        CountDownLatch never = new CountDownLatch(1);
        proxy.clearRequests();
        proxy.addRule(r -> isLayer(r) ? new TestProxy.Action.HoldAfter(KEPT, never) : null);
        Process killed = pull(root, "killed");
        try {
            // Every layer has its first 3 MiB on disk when the process dies.
            await(() -> chainIds.stream().allMatch(id -> partialSize(root, id) == KEPT));
            killed.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } finally {
            killed.destroyForcibly();
            proxy.clearRules();
        }
        int logged = registry.accessLog().size();
        Process resumed = pull(root, "resumed");
        assertThat(resumed.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(resumed.exitValue()).as(output("resumed")).isZero();

        // The second run asked for the rest of each layer only.
        long secondRun = 0;
        for (OciLayout.Layer l : layers) {
            Digest d = Digest.sha256(l.blob());
            List<TestRegistry.Served> gets = since(logged).stream()
                    .filter(s -> s.isBlob(d) && s.method().equals("GET"))
                    .toList();
            assertThat(gets).singleElement().satisfies(s -> {
                assertThat(s.status()).isEqualTo(206);
                assertThat(s.bytes()).isEqualTo(l.blob().length - KEPT);
            });
            secondRun += gets.get(0).bytes();
        }
        long image = layers.stream().mapToLong(l -> l.blob().length).sum();
        // Across both runs the puller received at most one layer's worth more than the image.
        assertThat(LAYERS * KEPT + secondRun).isLessThanOrEqualTo(image + LAYER_BYTES);
        assertThat(Store.open(root).images().get(ref)).isPresent();
        try (Stream<Path> left = Files.list(root.resolve("downloads"))) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
        }
    }

    @Test
    void agentExitsZeroAfterSigterm() throws Exception {
        int port = TestRegistry.freePort();
        Path cfg = work.resolve("agent.yml");
        Files.writeString(cfg, """
                root: %s
                images:
                  - %s
                refreshInterval: 1h
                listen: 127.0.0.1:%d
                platform: linux/amd64
                plainHttp: true
                """.formatted(work.resolve("agent-root"), ref, port));
        Process agent = berthPull("agent", List.of("agent", "--config", cfg.toString()));
        HttpClient http = HttpClient.newHttpClient();
        await(() -> {
            try {
                return http.send(
                                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                                                .build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200;
            } catch (IOException notYet) {
                return false;
            }
        });
        agent.destroy(); // SIGTERM
        assertThat(agent.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(agent.exitValue()).as(output("agent")).isZero();
    }

    private static List<TestRegistry.Served> since(int logged) throws IOException {
        List<TestRegistry.Served> all = registry.accessLog();
        return all.subList(logged, all.size());
    }

    private static boolean isLayer(TestProxy.Request r) {
        return r.isBlobGet()
                && layers.stream()
                        .anyMatch(l -> r.path().endsWith(Digest.sha256(l.blob()).toString()));
    }

    private static long layerGets() {
        return proxy.requests().stream().filter(DownloadsIT::isLayer).count();
    }

    private static Process pull(Path root, String name) throws IOException {
        return berthPull(
                name, List.of("pull", "--root", root.toString(), "--plain-http", "--platform", "linux/amd64", ref));
    }

    private static Process berthPull(String name, List<String> args) throws IOException {
        String jar = System.getProperty("berth.pull.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IOException("berth-pull's jar is missing (" + jar + "): run mvn verify");
        }
        List<String> cmd = new ArrayList<>(List.of("java", "-Xmx256m", "-jar", jar));
        cmd.addAll(args);
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(work.resolve(name + ".log").toFile())
                .start();
    }

    private static String output(String name) {
        try {
            return Files.readString(work.resolve(name + ".log"));
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    /** Lock files of the store's downloads the process has open (it opens one only to wait on or hold it). */
    private static long openLockFiles(long pid, Path root) {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.map(fd -> {
                        try {
                            return Files.readSymbolicLink(fd).toString();
                        } catch (IOException gone) {
                            return "";
                        }
                    })
                    .filter(t -> t.startsWith(root.resolve("downloads").toString()) && t.endsWith(".lock"))
                    .count();
        } catch (IOException e) {
            return 0;
        }
    }

    private static long partialSize(Path root, Digest chainId) {
        try {
            return Files.size(root.resolve("downloads").resolve(chainId.hex() + ".partial"));
        } catch (IOException notYet) {
            return -1;
        }
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) {
        Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(90))
                .pollInterval(java.time.Duration.ofMillis(100))
                .until(condition);
    }
}
