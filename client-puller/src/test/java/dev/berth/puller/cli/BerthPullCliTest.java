package dev.berth.puller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.OciJson;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.testing.TestImages;
import dev.berth.puller.testing.TestRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The berth-pull command line, run in-process against a real registry. */
class BerthPullCliTest {
    private static Path work;
    private static TestRegistry registry;
    private static Path root;

    @BeforeAll
    static void start() throws IOException {
        work = Files.createTempDirectory("berth-cli-test");
        registry = TestRegistry.start(work.resolve("registry"));
        TestImages images = TestImages.build(work.resolve("layout"));
        registry.push(images.layout.dir(), "base", "cli/img:base");
        registry.push(images.layout.dir(), "app", "cli/img:app");
        root = work.resolve("root");
    }

    @AfterAll
    static void stop() throws IOException {
        if (registry != null) {
            registry.close();
        }
        FsUtil.deleteTree(work);
    }

    @Test
    void pullImagesInspectRmPrune() {
        String base = registry.host() + "/cli/img:base";
        String app = registry.host() + "/cli/img:app";
        Cli.Run pull =
                Cli.run("pull", base, "--root", root.toString(), "--plain-http", "--json", "--platform", "linux/amd64");
        assertThat(pull.exit()).as(pull.err()).isZero();
        // Not a terminal: JSON lines, one event each, ending with the summary.
        List<JsonNode> events = new ArrayList<>();
        for (String line : pull.out().split("\n")) {
            events.add(OciJson.mapper().readTree(line));
        }
        assertThat(events)
                .extracting(e -> e.get("event").asString())
                .contains("resolved", "layer-start", "layer-done")
                .last()
                .isEqualTo("pulled");
        assertThat(Cli.run("pull", app, "--root", root.toString(), "--plain-http", "--parallel", "2")
                        .exit())
                .isZero();

        Cli.Run images = Cli.run("images", "--root", root.toString());
        assertThat(images.out())
                .contains("REPOSITORY")
                .contains(registry.host() + "/cli/img")
                .contains("base")
                .contains("app");
        Cli.Run json = Cli.run("images", "--root", root.toString(), "--json");
        assertThat(OciJson.mapper().readTree(json.out())).hasSize(2);

        Cli.Run inspect = Cli.run("inspect", app, "--root", root.toString());
        JsonNode record = OciJson.mapper().readTree(inspect.out());
        assertThat(record.get("layers")).hasSize(3);
        assertThat(record.get("config").get("config").get("Cmd").get(0).asString())
                .isEqualTo("/usr/bin/app");
        // Also by digest prefix.
        String digest = record.get("manifestDigest").asString();
        assertThat(Cli.run("inspect", digest.substring(0, 20), "--root", root.toString())
                        .exit())
                .isZero();

        assertThat(Cli.run("rm", app, "--root", root.toString()).out()).contains("removed");
        Cli.Run prune = Cli.run("prune", "--root", root.toString());
        assertThat(prune.out()).contains("pruned 2 layers");
        assertThat(Cli.run("images", "--root", root.toString()).out())
                .contains("   base   ")
                .doesNotContain("   app   ");

        Cli.Run missing = Cli.run("inspect", app, "--root", root.toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).startsWith("error: no such image");
    }

    @Test
    void failedPullExitsNonZeroWithOneLineError() {
        Cli.Run r = Cli.run(
                "pull",
                registry.host() + "/cli/img:nope",
                "--root",
                work.resolve("root2").toString(),
                "--plain-http",
                "--json");
        assertThat(r.exit()).isEqualTo(1);
        // With --json the error is one JSON object with a stable code.
        assertThat(r.err().strip()).doesNotContain("\n");
        JsonNode error = OciJson.mapper().readTree(r.err());
        assertThat(error.get("code").asString()).isEqualTo("REGISTRY_ERROR");
        assertThat(error.get("registryCode").asString()).isEqualTo("MANIFEST_UNKNOWN");
        assertThat(error.get("error").asString()).contains("cli/img:nope");
    }

    @Test
    void mountAndUnmountFromTheCommandLine() throws IOException {
        Path r3 = work.resolve("root3");
        String base = registry.host() + "/cli/img:base";
        assertThat(Cli.run("pull", base, "--root", r3.toString(), "--plain-http")
                        .exit())
                .isZero();
        Path target = work.resolve("mnt");
        Cli.Run mount = Cli.run("mount", base, target.toString(), "--root", r3.toString(), "--writable");
        assertThat(mount.exit()).as(mount.err()).isZero();
        try {
            assertThat(target.resolve("etc/hostname")).hasContent("base");
        } finally {
            assertThat(Cli.run("unmount", target.toString(), "--root", r3.toString())
                            .exit())
                    .isZero();
        }
        assertThat(target.resolve("etc/hostname")).doesNotExist();
    }
}
