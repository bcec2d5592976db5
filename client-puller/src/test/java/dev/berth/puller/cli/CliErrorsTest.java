package dev.berth.puller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.ImageReference;
import dev.berth.puller.registry.CredentialStore;
import dev.berth.puller.registry.Registries;
import dev.berth.puller.registry.TransportOptions;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.testing.TestImages;
import dev.berth.puller.testing.TestRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Failures as a user meets them, against real sockets and a real registry: each error says what was being
 * done, to which address or file, why, and what to try; --json makes it one object with a stable code; the exit
 * status is 1 for failures and 2 for usage errors.
 */
class CliErrorsTest {
    private static Path work;
    private static TestRegistry registry;

    @BeforeAll
    static void start() throws IOException {
        work = Files.createTempDirectory("berth-cli-errors");
        registry = TestRegistry.start(work.resolve("registry"));
        TestImages images = TestImages.build(work.resolve("layout"));
        registry.push(images.layout.dir(), "base", "err/img:base");
    }

    @AfterAll
    static void stop() throws IOException {
        if (registry != null) {
            registry.close();
        }
        FsUtil.deleteTree(work);
    }

    private static String root(String name) {
        return work.resolve(name).toString();
    }

    @Test
    void refusedConnectionNamesTheAddressAndWhatToCheck() throws IOException {
        int port = TestRegistry.freePort();
        Cli.Run r = Cli.run("pull", "127.0.0.1:" + port + "/x/y:1", "--root", root("refused"));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .startsWith("error: ")
                .contains("cannot connect to 127.0.0.1:" + port)
                .contains("connection refused")
                .contains("is a registry running there");

        JsonNode json = Cli.run("pull", "127.0.0.1:" + port + "/x/y:1", "--root", root("refused"), "--json")
                .jsonError();
        assertThat(json.get("code").asString()).isEqualTo("REGISTRY_UNREACHABLE");
        assertThat(json.get("error").asString()).contains("127.0.0.1:" + port);
    }

    @Test
    void unknownHostNamesTheHost() {
        Cli.Run r = Cli.run("pull", "nosuchhost.invalid/x/y:1", "--root", root("unknown"), "--json");
        assertThat(r.exit()).isEqualTo(1);
        JsonNode json = r.jsonError();
        assertThat(json.get("code").asString()).isEqualTo("UNKNOWN_HOST");
        assertThat(json.get("error").asString())
                .contains("cannot resolve host name nosuchhost.invalid")
                .contains("check the name");
    }

    @Test
    void loopbackRegistriesNeedNoPlainHttpFlag() {
        // As docker does for localhost and 127.0.0.0/8: HTTPS is tried, the plain-HTTP answer switches to HTTP.
        for (String host : new String[] {registry.host(), "localhost:" + registry.port()}) {
            Cli.Run r = Cli.run("pull", host + "/err/img:base", "--root", root("loopback"), "--json");
            assertThat(r.exit()).as(r.err()).isZero();
        }
    }

    @Test
    void plainHttpRegistryElsewhereSaysToAddPlainHttp() {
        // The IPv4-mapped IPv6 form of 127.0.0.1 is not one of docker's loopback names, so no fallback: the
        // user is told what to do instead of the JDK's "Unsupported or unrecognized SSL message".
        String host = "[::ffff:127.0.0.1]:" + registry.port();
        Cli.Run r = Cli.run("pull", host + "/err/img:base", "--root", root("plain"));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .contains("registry " + host + " answered in plain HTTP")
                .contains("add --plain-http")
                .doesNotContain("Unsupported or unrecognized");
        assertThat(Cli.run("pull", host + "/err/img:base", "--root", root("plain"), "--json")
                        .jsonError()
                        .get("code")
                        .asString())
                .isEqualTo("PLAIN_HTTP");
        assertThat(Cli.run("pull", host + "/err/img:base", "--root", root("plain"), "--plain-http")
                        .exit())
                .isZero();
    }

    @Test
    void registryErrorsCarryTheRegistrysCode() {
        Cli.Run r = Cli.run("pull", registry.host() + "/err/img:nope", "--root", root("nope"), "--json");
        assertThat(r.exit()).isEqualTo(1);
        JsonNode json = r.jsonError();
        assertThat(json.get("code").asString()).isEqualTo("REGISTRY_ERROR");
        assertThat(json.get("registryCode").asString()).isEqualTo("MANIFEST_UNKNOWN");
        assertThat(json.get("status").asInt()).isEqualTo(404);
    }

    @Test
    void unusableRootSaysWhichDirectoryAndWhatToDo() {
        Cli.Run r = Cli.run("pull", registry.host() + "/err/img:base", "--root", "/proc/foo");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("cannot create the store at /proc/foo").contains("choose another --root");
        assertThat(Cli.run("pull", registry.host() + "/err/img:base", "--root", "/proc/foo", "--json")
                        .jsonError()
                        .get("code")
                        .asString())
                .isEqualTo("STORE");
    }

    @Test
    void readingCommandsRefuseAMissingRootAndCreateNothing() {
        Path missing = work.resolve("nonexistent/x");
        for (String[] args : new String[][] {
            {"images"},
            {"inspect", "busybox"},
            {"rm", "busybox"},
            {"prune"},
            {"mounts"},
            {"unmount", "/mnt/x"},
            {"mount", "busybox", "/mnt/x"},
            {"bundle", "busybox", "/tmp/b"}
        }) {
            String[] full = concat(args, "--root", missing.toString(), "--json");
            Cli.Run r = Cli.run(full);
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(1);
            JsonNode json = r.jsonError();
            assertThat(json.get("code").asString()).isEqualTo("NO_STORE");
            assertThat(json.get("error").asString())
                    .contains(missing.toString())
                    .contains("check --root");
        }
        assertThat(missing.getParent()).doesNotExist();
    }

    @Test
    void missingAgentConfigNamesTheFile() {
        Cli.Run r = Cli.run("agent", "--config", "agent/nonexist.yml");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .contains("agent configuration agent/nonexist.yml")
                .contains("no such file")
                .contains("--config");
        assertThat(Cli.run("agent", "--config", "agent/nonexist.yml", "--json")
                        .jsonError()
                        .get("code")
                        .asString())
                .isEqualTo("CONFIG");
    }

    @Test
    void agentPortInUseNamesTheAddress() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path config = work.resolve("agent.yml");
            Files.writeString(
                    config,
                    "root: " + work.resolve("agent-root") + "\nimages: [" + registry.host()
                            + "/err/img:base]\nplainHttp: true\nlisten: 127.0.0.1:" + taken.getLocalPort() + "\n");
            Cli.Run r = Cli.run("agent", "--config", config.toString());
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err())
                    .contains("cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .contains("already in use")
                    .contains("choose another listen address");
        }
    }

    @Test
    void usageErrorsExitTwoAndAreJsonWithJson() {
        Cli.Run r = Cli.run("pull", "--no-such-option", "x");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--no-such-option").contains("--help");
        Cli.Run json = Cli.run("images", "--json", "--bogus");
        assertThat(json.exit()).isEqualTo(2);
        assertThat(json.jsonError().get("code").asString()).isEqualTo("USAGE");
        assertThat(Cli.run("pull", "Bad/Name", "--root", root("bad")).exit()).isEqualTo(2);
        assertThat(Cli.run("--help").out()).contains("Exit status").contains("2   usage error");
    }

    @Test
    void shortNamesGoToDockerHub() {
        ImageReference busybox = ImageReference.parse("busybox");
        assertThat(busybox).hasToString("docker.io/library/busybox:latest");
        Registries registries = new Registries(TransportOptions.defaults(), CredentialStore.anonymous());
        assertThat(registries.client(busybox.registry()).host()).isEqualTo(ImageReference.DOCKER_HUB);
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
