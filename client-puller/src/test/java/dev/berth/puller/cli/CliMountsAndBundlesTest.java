package dev.berth.puller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.puller.store.FsUtil;
import dev.berth.puller.testing.Proc;
import dev.berth.puller.testing.TestImages;
import dev.berth.puller.testing.TestRegistry;
import dev.berth.unionfs.mount.Mounter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * bundle, mount, mounts, unmount and prune from the command line with real overlay mounts and a real runc
 * (root, as CI runs).
 */
class CliMountsAndBundlesTest {
    private static Path work;
    private static TestRegistry registry;
    private static String root;
    private static String busybox;
    private static String noCmd;
    private final List<String> containers = new ArrayList<>();
    private final List<Path> mounted = new ArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        work = Files.createTempDirectory("berth-cli-mounts");
        registry = TestRegistry.start(work.resolve("registry"));
        TestImages images = TestImages.build(work.resolve("layout"));
        registry.push(images.layout.dir(), "busybox", "cli/bb:latest");
        registry.push(images.layout.dir(), "busybox-nocmd", "cli/bb:nocmd");
        registry.push(images.layout.dir(), "base", "cli/base:1");
        root = work.resolve("root").toString();
        busybox = registry.host() + "/cli/bb:latest";
        noCmd = registry.host() + "/cli/bb:nocmd";
        for (String ref : List.of(busybox, noCmd, registry.host() + "/cli/base:1")) {
            Cli.Run r = Cli.run("pull", ref, "--root", root);
            assertThat(r.exit()).as(r.err()).isZero();
        }
    }

    @AfterAll
    static void stop() throws IOException {
        if (registry != null) {
            registry.close();
        }
        FsUtil.deleteTree(work);
    }

    @AfterEach
    void cleanUp() throws IOException {
        for (String id : containers) {
            Proc.run(null, List.of("runc", "delete", "-f", id), 30);
        }
        for (Path p : mounted) {
            if (Mounter.linux().isMountPoint(p)) {
                Proc.run(null, List.of("umount", p.toString()), 30);
            }
        }
    }

    private Proc.Result runc(Path bundle, String name) throws IOException {
        String id = "berth-cli-" + name + "-" + ProcessHandle.current().pid();
        containers.add(id);
        Proc.Result r = Proc.run(bundle, List.of("runc", "run", "--bundle", bundle.toString(), id), 60);
        Proc.run(null, List.of("runc", "delete", "-f", id), 30);
        return r;
    }

    @Test
    void bundleArgumentsEnvUserAndCwdReplaceWhatTheImageSays() throws IOException {
        Path dir = work.resolve("bundle-args");
        mounted.add(dir.resolve("rootfs"));
        Cli.Run made = Cli.run(
                "bundle",
                busybox,
                dir.toString(),
                "--root",
                root,
                "--env",
                "GREETING=hi",
                "--user",
                "1000:1001",
                "--cwd",
                "/tmp",
                "--json",
                "--",
                "/bin/sh",
                "-c",
                "echo \"$GREETING from $(id -u):$(id -g) in $PWD\"");
        assertThat(made.exit()).as(made.err()).isZero();
        assertThat(made.json().get("bundle").asString()).isEqualTo(dir.toString());

        Proc.Result r = runc(dir, "args");
        assertThat(r.output()).contains("hi from 1000:1001 in /tmp");
        assertThat(r.exit()).isZero();

        // A second bundle into the same DIR says what to do instead.
        Cli.Run again = Cli.run("bundle", busybox, dir.toString(), "--root", root);
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("already holds a bundle of " + busybox).contains("berth-pull unmount " + dir);
        assertThat(Cli.run("bundle", busybox, dir.toString(), "--root", root, "--json")
                        .jsonError()
                        .get("code")
                        .asString())
                .isEqualTo("EXISTS");

        // unmount DIR tears it down, keeping the writable layer unless --discard.
        Cli.Run down = Cli.run("unmount", dir.toString(), "--root", root, "--discard", "--json");
        assertThat(down.exit()).as(down.err()).isZero();
        assertThat(down.json().get("bundle").asBoolean()).isTrue();
        assertThat(down.json().get("kept").isNull()).isTrue();
        assertThat(dir.resolve("config.json")).doesNotExist();
        assertThat(Mounter.linux().isMountPoint(dir.resolve("rootfs"))).isFalse();
    }

    @Test
    void imageWithoutCmdRunsTheGivenCommandAndExplainsWhenThereIsNone() throws IOException {
        Path dir = work.resolve("bundle-nocmd");
        mounted.add(dir.resolve("rootfs"));
        Cli.Run none = Cli.run("bundle", noCmd, dir.toString(), "--root", root);
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains("neither Entrypoint nor Cmd").contains("after --");
        assertThat(Mounter.linux().isMountPoint(dir.resolve("rootfs"))).isFalse();

        Cli.Run made = Cli.run("bundle", noCmd, dir.toString(), "--root", root, "--", "/bin/echo", "no cmd needed");
        assertThat(made.exit()).as(made.err()).isZero();
        assertThat(made.out()).contains("berth-pull unmount " + dir);
        Proc.Result r = runc(dir, "nocmd");
        assertThat(r.output()).contains("no cmd needed");
        assertThat(r.exit()).isZero();
        assertThat(Cli.run("unmount", dir.toString(), "--root", root, "--discard")
                        .exit())
                .isZero();
    }

    @Test
    void unmountKeepsTheWritableLayerUnlessDiscardAndSaysWhere() throws IOException {
        Path target = work.resolve("mnt-rw");
        mounted.add(target);
        assertThat(Cli.run("mount", busybox, target.toString(), "--root", root, "--writable")
                        .exit())
                .isZero();
        Files.writeString(target.resolve("etc/note"), "keep me\n");

        JsonNode listed = Cli.run("mounts", "--root", root, "--json").json();
        assertThat(listed).anySatisfy(m -> {
            assertThat(m.get("target").asString()).isEqualTo(target.toString());
            assertThat(m.get("state").asString()).isEqualTo("mounted");
            assertThat(m.get("writable").asBoolean()).isTrue();
        });
        assertThat(Cli.run("mounts", "--root", root).out())
                .contains("TARGET")
                .contains(target.toString())
                .contains("mounted");

        Cli.Run down = Cli.run("unmount", target.toString(), "--root", root);
        assertThat(down.exit()).as(down.err()).isZero();
        assertThat(down.out()).contains("kept its writable layer at ").contains("--discard");
        String kept = down.out().substring(down.out().indexOf(" at ") + 4).split(":")[0];
        assertThat(Path.of(kept).resolve("etc/note")).hasContent("keep me");
        assertThat(Cli.run("mounts", "--root", root).out()).doesNotContain(target.toString());

        // Mounting the same TARGET writable again continues with it.
        assertThat(Cli.run("mount", busybox, target.toString(), "--root", root, "--writable")
                        .exit())
                .isZero();
        assertThat(target.resolve("etc/note")).hasContent("keep me");
        Cli.Run discard = Cli.run("unmount", target.toString(), "--root", root, "--discard", "--json");
        assertThat(discard.exit()).as(discard.err()).isZero();
        assertThat(discard.json().get("kept").isNull()).isTrue();
        assertThat(Path.of(kept)).doesNotExist();
        assertThat(Mounter.linux().isMountPoint(target)).isFalse();
    }

    @Test
    void aMountRemovedByHandIsForgottenByTheNextPrune() throws IOException {
        String base = registry.host() + "/cli/base:1";
        Path target = work.resolve("mnt-hand");
        mounted.add(target);
        Cli.Run m = Cli.run("mount", base, target.toString(), "--root", root, "--json");
        assertThat(m.exit()).as(m.err()).isZero();
        assertThat(m.json().get("target").asString()).isEqualTo(target.toString());
        assertThat(Cli.run("rm", base, "--root", root, "--json").json().get("removed"))
                .hasSize(1);
        // The mount pins the layer while mounted.
        assertThat(Cli.run("prune", "--root", root, "--json")
                        .json()
                        .get("layers")
                        .asInt())
                .isZero();

        Proc.check(List.of("umount", target.toString()));
        JsonNode gone = Cli.run("mounts", "--root", root, "--json").json();
        assertThat(gone).anySatisfy(x -> {
            assertThat(x.get("target").asString()).isEqualTo(target.toString());
            assertThat(x.get("state").asString()).isEqualTo("gone");
        });

        Cli.Run prune = Cli.run("prune", "--root", root);
        assertThat(prune.exit()).as(prune.err()).isZero();
        assertThat(prune.out()).contains("forgot mount " + target).contains("pruned 1 layers");
        assertThat(Cli.run("mounts", "--root", root, "--json").json())
                .noneSatisfy(x -> assertThat(x.get("target").asString()).isEqualTo(target.toString()));
    }

    @Test
    void unmountOfSomethingBerthDidNotMountSaysSo() {
        Cli.Run r = Cli.run("unmount", work.resolve("never").toString(), "--root", root, "--json");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.jsonError().get("code").asString()).isEqualTo("NOT_MOUNTED");
        assertThat(r.jsonError().get("error").asString()).contains("not mounted by berth");
    }
}
