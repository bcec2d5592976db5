package dev.berth.puller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.puller.store.FsUtil;
import dev.berth.puller.testing.ForwardProxy;
import dev.berth.puller.testing.TestImages;
import dev.berth.puller.testing.TestRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/**
 * What berth-pull prints, against a real registry: the images table, ambiguous prefixes, help texts, progress,
 * platforms (per-platform records, warnings, variants) and proxies from the environment.
 */
class CliOutputTest {
    private static Path work;
    private static TestRegistry registry;
    private static TestImages images;
    private static String root;

    @BeforeAll
    static void start() throws IOException {
        work = Files.createTempDirectory("berth-cli-output");
        registry = TestRegistry.start(work.resolve("registry"));
        images = TestImages.build(work.resolve("layout"));
        registry.push(images.layout.dir(), "base", "out/img:base");
        registry.push(images.layout.dir(), "base", "out/img:again");
        registry.push(images.layout.dir(), "multi", "out/multi:1");
        registry.push(images.layout.dir(), "big", "out/big:1");
        root = work.resolve("root").toString();
    }

    @AfterAll
    static void stop() throws IOException {
        if (registry != null) {
            registry.close();
        }
        FsUtil.deleteTree(work);
    }

    @Test
    void imagesIsAnAlignedTableAndAnAmbiguousPrefixListsTheMatches() {
        String base = registry.host() + "/out/img:base";
        assertThat(Cli.run("pull", base, "--root", root).exit()).isZero();
        assertThat(Cli.run("pull", registry.host() + "/out/img:again", "--root", root)
                        .exit())
                .isZero();
        String digest = Cli.run("inspect", base, "--root", root)
                .json()
                .get("manifestDigest")
                .asString();
        // A digest reference: TAG <none>, and the columns stay aligned.
        assertThat(Cli.run("pull", registry.host() + "/out/img@" + digest, "--root", root)
                        .exit())
                .isZero();

        String table = Cli.run("images", "--root", root).out();
        List<String> lines = table.lines().toList();
        assertThat(lines.get(0)).startsWith("REPOSITORY").contains("TAG", "IMAGE ID", "PLATFORM", "CREATED", "SIZE");
        assertThat(lines).hasSize(4);
        String header = lines.get(0);
        String id = Cli.run("inspect", base, "--root", root)
                .json()
                .get("configDigest")
                .asString()
                .substring(7, 19);
        for (String line : lines.subList(1, 4)) {
            assertThat(line.indexOf(id)).as(table).isEqualTo(header.indexOf("IMAGE ID"));
            assertThat(line.indexOf("linux/amd64")).as(table).isEqualTo(header.indexOf("PLATFORM"));
            assertThat(line.substring(header.indexOf("TAG"))).matches("(base|again|<none>)\\s+.*");
        }
        JsonNode rows = Cli.run("images", "--root", root, "--json").json();
        assertThat(rows)
                .hasSize(3)
                .allSatisfy(r -> assertThat(r.get("repository").asString()).isEqualTo(registry.host() + "/out/img"));

        // Three records share the image ID: its prefix is ambiguous, and the error lists them.
        Cli.Run ambiguous = Cli.run("inspect", id.substring(0, 6), "--root", root);
        assertThat(ambiguous.exit()).isEqualTo(1);
        assertThat(ambiguous.err())
                .contains("ambiguous")
                .contains("matches 3 images")
                .contains(base)
                .contains(registry.host() + "/out/img:again")
                .contains("@" + digest);
        assertThat(Cli.run("inspect", id.substring(0, 6), "--root", root, "--json")
                        .jsonError()
                        .get("code")
                        .asString())
                .isEqualTo("AMBIGUOUS");
    }

    @Test
    void everyCommandsHelpHasExamplesAndDescribesItsOperands() {
        CommandLine top = BerthPull.commandLine();
        for (Map.Entry<String, CommandLine> sub : top.getSubcommands().entrySet()) {
            if (!sub.getKey().equals(sub.getValue().getCommandName())) {
                continue; // an alias
            }
            String help = sub.getValue().getUsageMessage(CommandLine.Help.Ansi.OFF);
            assertThat(help).as(sub.getKey()).contains("Examples:").contains("berth-pull " + sub.getKey());
            for (var p : sub.getValue().getCommandSpec().positionalParameters()) {
                assertThat(String.join(" ", p.description()))
                        .as(sub.getKey() + " " + p.paramLabel())
                        .isNotBlank();
            }
        }
        assertThat(top.getSubcommands().get("pull").getUsageMessage(CommandLine.Help.Ansi.OFF))
                .contains("REF")
                .contains("docker.io/library/busybox:latest")
                .contains("JSON");
        assertThat(top.getSubcommands().get("mount").getUsageMessage(CommandLine.Help.Ansi.OFF))
                .contains("TARGET")
                .contains("directory to mount");
        assertThat(top.getSubcommands().get("bundle").getUsageMessage(CommandLine.Help.Ansi.OFF))
                .contains("DIR")
                .contains("DIR/config.json");
    }

    @Test
    void terminalProgressShowsTotalSpeedAndEta() {
        Cli.Run r = Cli.run(
                "pull",
                registry.host() + "/out/big:1",
                "--root",
                work.resolve("tty").toString(),
                "--progress",
                "tty");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out())
                .containsPattern("total [0-9.]+/[0-9.]+ MiB  [0-9.]+ MiB/s  (ETA|done)")
                .contains("pulled ");
        // At half the bytes after 5 s, 5 s are left.
        assertThat(ProgressRenderer.totalLine(50L << 20, 100L << 20, 5_000_000_000L))
                .isEqualTo("total 50.0/100.0 MiB  10.0 MiB/s  ETA 5s");
    }

    @Test
    void platformsAreKeptApartWarnedAboutAndPrintedWithTheirVariant() {
        String multi = registry.host() + "/out/multi:1";
        String r2 = work.resolve("platforms").toString();
        Cli.Run amd = Cli.run("pull", multi, "--root", r2, "--platform", "linux/amd64");
        assertThat(amd.exit()).as(amd.err()).isZero();
        assertThat(amd.err()).doesNotContain("warning");
        Cli.Run arm = Cli.run("pull", multi, "--root", r2, "--platform", "linux/arm64");
        assertThat(arm.exit()).as(arm.err()).isZero();
        if (!dev.berth.puller.registry.ImageResolver.hostPlatform()
                .architecture()
                .equals("arm64")) {
            assertThat(arm.err())
                    .contains("warning: ")
                    .contains("is for linux/arm64/v8")
                    .contains("will not run here");
        }
        JsonNode rows = Cli.run("images", "--root", r2, "--json").json();
        assertThat(rows)
                .extracting(r -> r.get("platform").asString())
                .containsExactlyInAnyOrder("linux/amd64", "linux/arm64/v8");
        assertThat(Cli.run("images", "--root", r2).out())
                .contains("linux/arm64/v8")
                .contains("linux/amd64");
        assertThat(Cli.run("inspect", multi, "--root", r2, "--platform", "linux/arm64")
                        .json()
                        .get("platform")
                        .asString())
                .isEqualTo("linux/arm64/v8");
        // rm --platform removes one record only.
        assertThat(Cli.run("rm", multi, "--root", r2, "--platform", "linux/arm64/v8")
                        .exit())
                .isZero();
        assertThat(Cli.run("images", "--root", r2, "--json").json())
                .extracting(r -> r.get("platform").asString())
                .containsExactly("linux/amd64");
    }

    @Test
    void proxiesFromTheEnvironmentAreUsedAndNoProxyBypassesThem() throws IOException {
        String base = registry.host() + "/out/img:base";
        try (ForwardProxy proxy = new ForwardProxy()) {
            Cli.Run viaProxy = Cli.runWithEnvironment(
                    Map.of("HTTP_PROXY", proxy.url()),
                    "pull",
                    base,
                    "--root",
                    work.resolve("proxied").toString(),
                    "--plain-http");
            assertThat(viaProxy.exit()).as(viaProxy.err()).isZero();
            assertThat(proxy.requests())
                    .anySatisfy(l ->
                            assertThat(l).startsWith("GET http://" + registry.host() + "/v2/out/img/manifests/base"))
                    .anySatisfy(l -> assertThat(l).contains("/v2/out/img/blobs/sha256:"));
            int seen = proxy.requests().size();

            Cli.Run bypass = Cli.runWithEnvironment(
                    Map.of("http_proxy", proxy.url(), "NO_PROXY", "localhost,127.0.0.0/8"),
                    "pull",
                    base,
                    "--root",
                    work.resolve("bypassed").toString(),
                    "--plain-http");
            assertThat(bypass.exit()).as(bypass.err()).isZero();
            assertThat(proxy.requests()).hasSize(seen);

            // A proxy that is down is named as such.
            int dead = TestRegistry.freePort();
            Cli.Run down = Cli.runWithEnvironment(
                    Map.of("HTTP_PROXY", "http://127.0.0.1:" + dead),
                    "pull",
                    base,
                    "--root",
                    work.resolve("dead").toString(),
                    "--plain-http");
            assertThat(down.exit()).isEqualTo(1);
            assertThat(down.err())
                    .contains("cannot connect to proxy 127.0.0.1:" + dead)
                    .contains("NO_PROXY");
        }
    }

    @Test
    void httpsGoesThroughTheProxyAsATunnel() throws IOException {
        try (TestRegistry tls = TestRegistry.startTls(work.resolve("tls-registry"));
                ForwardProxy proxy = new ForwardProxy()) {
            tls.push(images.layout.dir(), "base", "tls/img:base");
            Cli.Run r = Cli.runWithEnvironment(
                    Map.of("HTTPS_PROXY", proxy.url()),
                    "pull",
                    tls.host() + "/tls/img:base",
                    "--root",
                    work.resolve("tls").toString(),
                    "--ca-file",
                    tls.certificate().toString());
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(proxy.requests())
                    .isNotEmpty()
                    .allSatisfy(l -> assertThat(l).isEqualTo("CONNECT " + tls.host() + " HTTP/1.1"));
        }
    }
}
