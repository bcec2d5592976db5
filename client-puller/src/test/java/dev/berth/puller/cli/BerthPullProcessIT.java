package dev.berth.puller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.OciJson;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.testing.ForwardProxy;
import dev.berth.puller.testing.TestImages;
import dev.berth.puller.testing.TestRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * berth-pull as its own process, the packaged jar, as a user runs it: the proxy variables of its environment,
 * its exit statuses and its JSON on stdout and stderr, against a real registry (the CNCF one: it starts in a
 * second, and the Berth-specific paths are covered by the other ITs).
 */
class BerthPullProcessIT {
    private static Path work;
    private static TestRegistry registry;

    @BeforeAll
    static void start() throws IOException {
        work = Files.createTempDirectory("berth-pull-process");
        registry = TestRegistry.start(work.resolve("registry"));
        TestImages images = TestImages.build(work.resolve("layout"));
        registry.push(images.layout.dir(), "base", "proc/img:base");
    }

    @AfterAll
    static void stop() throws IOException {
        if (registry != null) {
            registry.close();
        }
        FsUtil.deleteTree(work);
    }

    private record Result(int exit, String out, String err) {}

    private static Result berthPull(Map<String, String> env, String... args) throws IOException, InterruptedException {
        String jar = System.getProperty("berth.pull.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IOException("berth-pull's jar is missing (" + jar + "): run mvn verify");
        }
        List<String> cmd = new ArrayList<>(List.of("java", "-Xmx128m", "-jar", jar));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment()
                .keySet()
                .removeIf(k -> k.toLowerCase(java.util.Locale.ROOT).endsWith("_proxy"));
        pb.environment().putAll(env);
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("berth-pull did not finish: " + cmd);
        }
        return new Result(
                p.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void pullsThroughHttpProxyFromItsEnvironmentUnlessNoProxySaysOtherwise() throws Exception {
        String ref = registry.host() + "/proc/img:base";
        try (ForwardProxy proxy = new ForwardProxy()) {
            // Not a terminal: JSON lines on stdout, no --plain-http needed on loopback.
            Result r = berthPull(
                    Map.of("HTTP_PROXY", proxy.url(), "HTTPS_PROXY", proxy.url()),
                    "pull",
                    ref,
                    "--root",
                    work.resolve("root1").toString(),
                    "--plain-http");
            assertThat(r.exit()).as("stderr: %s stdout: %s", r.err(), r.out()).isZero();
            assertThat(r.out()
                            .lines()
                            .map(l -> OciJson.mapper().readTree(l).get("event").asString())
                            .toList())
                    .contains("resolved")
                    .last()
                    .isEqualTo("pulled");
            assertThat(proxy.requests()).anySatisfy(l -> assertThat(l).startsWith("GET http://" + registry.host()));
            int seen = proxy.requests().size();

            Result bypass = berthPull(
                    Map.of("HTTP_PROXY", proxy.url(), "NO_PROXY", "127.0.0.1"),
                    "pull",
                    ref,
                    "--root",
                    work.resolve("root2").toString(),
                    "--plain-http");
            assertThat(bypass.exit())
                    .as("stderr: %s stdout: %s", bypass.err(), bypass.out())
                    .isZero();
            assertThat(proxy.requests()).hasSize(seen);
        }
    }

    @Test
    void exitStatusesAndJsonErrors() throws Exception {
        Result usage = berthPull(Map.of(), "images", "--bogus", "--json");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(OciJson.mapper().readTree(usage.err().strip()).get("code").asString())
                .isEqualTo("USAGE");

        Result missing =
                berthPull(Map.of(), "images", "--root", work.resolve("none/x").toString(), "--json");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(OciJson.mapper().readTree(missing.err().strip()).get("code").asString())
                .isEqualTo("NO_STORE");
        assertThat(work.resolve("none")).doesNotExist();

        // A registry on loopback: HTTPS is tried, its plain-HTTP answer switches to HTTP.
        Result pulled = berthPull(
                Map.of(),
                "pull",
                registry.host() + "/proc/img:base",
                "--root",
                work.resolve("root3").toString(),
                "--json");
        assertThat(pulled.exit())
                .as("stderr: %s stdout: %s", pulled.err(), pulled.out())
                .isZero();
    }
}
