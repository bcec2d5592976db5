package dev.berth.unionfs.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.unionfs.mount.MountPlanner;
import dev.berth.unionfs.mount.Mounter;
import dev.berth.unionfs.sys.LibC;
import dev.berth.unionfs.tar.LayerApplier;
import dev.berth.unionfs.testing.Proc;
import dev.berth.unionfs.testing.TarBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * End to end: two layers applied from tars, mounted as an overlay at a bundle's rootfs, run by runc.
 * Needs root, runc and Debian's busybox-static ({@code apt-get install -y busybox-static runc}).
 */
class BundleRunTest {

    private static final Path BUSYBOX = Path.of("/bin/busybox");

    @TempDir
    Path tmp;

    private final Mounter mounter = Mounter.linux();
    private final String id = "berth-test-" + UUID.randomUUID().toString().substring(0, 8);
    private Path rootfs;

    @BeforeAll
    static void requirements() throws Exception {
        assertThat(LibC.geteuid()).as("runc needs root").isZero();
        assertThat(Proc.run("runc", "--version").exitCode())
                .as("runc installed")
                .isZero();
        assertThat(Proc.check("file", "-L", BUSYBOX.toString()).out())
                .as("busybox-static installed")
                .contains("statically linked");
    }

    @AfterEach
    void cleanUp() throws Exception {
        Proc.run("runc", "delete", "-f", id);
        if (rootfs != null) {
            while (mounter.isMountPoint(rootfs)) {
                mounter.unmount(rootfs);
            }
        }
    }

    private Path layer(String name, Consumer<TarBuilder> content) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("layers").resolve(name).resolve("diff"));
        TarBuilder b = new TarBuilder();
        content.accept(b);
        new LayerApplier().apply(new ByteArrayInputStream(b.bytes()), dir);
        return dir;
    }

    @Test
    void runcRunsAProcessInAnOverlayRootfs() throws Exception {
        byte[] busybox = Files.readAllBytes(BUSYBOX);
        Path base = layer(
                "base",
                t -> t.dir("bin", 0755)
                        .file("bin/busybox", 0755, busybox, e -> {})
                        .dir("etc", 0755)
                        .file("etc/x", "from lower\n")
                        .file("etc/gone", "should be hidden\n"));
        Path top = layer("top", t -> t.file("etc/.wh.gone", "").file("etc/y", "from upper\n"));
        Path bundle = Files.createDirectories(tmp.resolve("bundle"));
        Path upper = Files.createDirectories(tmp.resolve("container/upper"));
        Path work = Files.createDirectories(tmp.resolve("container/work"));
        BundleWriter writer = new BundleWriter();

        rootfs = writer.mountRootfs(
                bundle, new MountPlanner().writable(List.of(top, base), upper, work, tmp.resolve("unused")), mounter);
        writer.writeConfig(
                bundle,
                ProcessSpec.of(
                                "/bin/busybox",
                                "sh",
                                "-c",
                                "/bin/busybox cat /etc/x /etc/y; /bin/busybox test -e /etc/gone || /bin/busybox echo gone hidden;"
                                        + " /bin/busybox hostname; /bin/busybox echo hello")
                        .withHostname("box"));
        Proc.Result run = Proc.run(List.of("runc", "run", "--bundle", bundle.toString(), id), 60);

        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo("from lower\nfrom upper\ngone hidden\nbox\nhello\n");
    }

    @Test
    void configMatchesRuncSpecDefaults() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("runc-spec"));
        Proc.check("runc", "spec", "--bundle", dir.toString());
        JsonMapper json = JsonMapper.builder().build();
        ObjectNode reference = (ObjectNode) json.readTree(Files.readAllBytes(dir.resolve("config.json")));

        Path bundle = tmp.resolve("b");
        Path config = new BundleWriter().writeConfig(bundle, ProcessSpec.of("sh"));
        ObjectNode ours = (ObjectNode) json.readTree(Files.readAllBytes(config));

        assertThat(ours.get("ociVersion").asString()).startsWith("1.0");
        assertThat(ours.at("/process/terminal").asBoolean()).isFalse();
        assertThat(ours.at("/root/path").asString()).isEqualTo("rootfs");
        assertThat(Files.isDirectory(bundle.resolve("rootfs"))).isTrue();
        assertThat(ours.at("/process/env").get(0).asString()).isEqualTo(ProcessSpec.DEFAULT_PATH);
        // The rest is runc's default, except the ambient set that runc spec adds and we leave out, and
        // TERM=xterm, which belongs with a terminal.
        ((ObjectNode) reference.at("/process/capabilities")).remove("ambient");
        for (String pointer : List.of(
                "/process/capabilities",
                "/process/rlimits",
                "/process/cwd",
                "/process/user",
                "/process/noNewPrivileges",
                "/mounts",
                "/linux/namespaces",
                "/linux/maskedPaths",
                "/linux/readonlyPaths",
                "/linux/resources")) {
            JsonNode expected = reference.at(pointer);
            assertThat(ours.at(pointer)).as(pointer).isEqualTo(expected);
        }
    }
}
