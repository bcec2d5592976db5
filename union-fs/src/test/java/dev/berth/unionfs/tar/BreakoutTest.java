package dev.berth.unionfs.tar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.unionfs.sys.LibC;
import dev.berth.unionfs.testing.Fs;
import dev.berth.unionfs.testing.TarBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Layers that try to write outside their root. The policy: names and symlinked parents are resolved
 * inside the root, so such writes land inside it; a hardlink whose target is not inside the root is
 * rejected with {@link LayerFormatException}. Either way nothing outside the root changes: each test
 * snapshots the root's siblings (and the host files a breakout would hit) before and after. Every case
 * runs sequentially (parallelism 1) and with writer threads.
 */
@ParameterizedClass(name = "parallelism {0}")
@ValueSource(ints = {1, 4})
class BreakoutTest {

    /** Host paths that a resolved-on-the-host breakout would create or change. */
    private static final Path[] HOST = {
        Path.of("/etc/passwd"),
        Path.of("/etc/x"),
        Path.of("/x"),
        Path.of("/f"),
        Path.of("/tmp/x"),
        Path.of("/etc/shadow"),
        Path.of("/newdir"),
        Path.of("/abs")
    };

    @TempDir
    Path tmp;

    private final ApplyOptions options;
    private Path root;
    private Map<String, String> outsideBefore;
    private Map<Path, String> hostBefore;

    BreakoutTest(int parallelism) {
        options = ApplyOptions.defaults().withParallelism(parallelism);
    }

    @BeforeAll
    static void requireRoot() {
        assertThat(LibC.geteuid()).isZero();
    }

    @BeforeEach
    void sentinel() throws IOException {
        // tmp/a/b/root is the layer; everything else under tmp is a sentinel.
        root = Files.createDirectories(tmp.resolve("a/b/root"));
        Files.writeString(tmp.resolve("outside"), "sentinel");
        Files.writeString(tmp.resolve("a/outside"), "sentinel");
        Files.writeString(tmp.resolve("a/b/outside"), "sentinel");
        Files.createDirectories(tmp.resolve("a/b/etc"));
        outsideBefore = Fs.snapshot(tmp, root);
        hostBefore = hostState();
    }

    @AfterEach
    void nothingOutsideChanged() {
        assertThat(Fs.snapshot(tmp, root)).isEqualTo(outsideBefore);
        assertThat(hostState()).isEqualTo(hostBefore);
    }

    private static Map<Path, String> hostState() {
        Map<Path, String> m = new java.util.HashMap<>();
        for (Path p : HOST) {
            m.put(
                    p,
                    Files.exists(p, LinkOption.NOFOLLOW_LINKS)
                            ? Fs.snapshot(p, null).toString()
                            : "absent");
        }
        return m;
    }

    private void apply(Consumer<TarBuilder> layer) throws IOException {
        TarBuilder b = new TarBuilder();
        layer.accept(b);
        new LayerApplier(options).apply(new ByteArrayInputStream(b.bytes()), root);
    }

    @Test
    void dotDotIsCleanedInsideTheRoot() throws IOException {
        apply(t -> t.file("../../etc/passwd", "p").file("a/../../../../x", "x").dir("../../../newdir", 0755));
        assertThat(Files.readString(root.resolve("etc/passwd"))).isEqualTo("p");
        assertThat(Files.readString(root.resolve("x"))).isEqualTo("x");
        assertThat(Files.isDirectory(root.resolve("newdir"))).isTrue();
    }

    @Test
    void absoluteNamesAreRebasedOnTheRoot() throws IOException {
        apply(t -> t.file("/abs/path", "abs").file("//etc//x", "x"));
        assertThat(Files.readString(root.resolve("abs/path"))).isEqualTo("abs");
        assertThat(Files.readString(root.resolve("etc/x"))).isEqualTo("x");
    }

    @Test
    void symlinkToSlashIsFollowedInsideTheRoot() throws IOException {
        apply(t -> t.symlink("evil", "/")
                .file("evil/etc/x", "x")
                .dir("evil/newdir", 0700)
                .node("evil/tmp/x", TarConstants.LF_FIFO, 0600, 0, 0));
        assertThat(Files.readSymbolicLink(root.resolve("evil")).toString()).isEqualTo("/");
        assertThat(Files.readString(root.resolve("etc/x"))).isEqualTo("x");
        assertThat(Files.isDirectory(root.resolve("newdir"))).isTrue();
        assertThat(Fs.mode(root.resolve("tmp/x"))).isEqualTo(010600);
    }

    @Test
    void relativeSymlinkCannotClimbAboveTheRoot() throws IOException {
        apply(t -> t.symlink("up", "../../..").file("up/x", "x").file("up/outside", "inside"));
        assertThat(Files.readString(root.resolve("x"))).isEqualTo("x");
        assertThat(Files.readString(root.resolve("outside"))).isEqualTo("inside");
    }

    @Test
    void symlinkChainsAndNestedDotDotStayInside() throws IOException {
        apply(t -> t.symlink("l1", "l2")
                .symlink("l2", "/l3")
                .symlink("l3", "../../../a/..")
                .file("l1/f", "chain")
                .dir("d/e", 0755)
                .symlink("d/e/s1", "../..")
                .symlink("d/e/s1/s2", "../../../etc")
                .file("d/e/s1/s2/x", "nested"));
        assertThat(Files.readString(root.resolve("f"))).isEqualTo("chain");
        assertThat(Files.isSymbolicLink(root.resolve("s2"))).isTrue();
        assertThat(Files.readString(root.resolve("etc/x"))).isEqualTo("nested");
    }

    @Test
    void finalSymlinkIsReplacedNotFollowed() throws IOException {
        apply(t -> t.symlink("passwd", "/etc/passwd")
                .file("passwd", "mine")
                .symlink("outside", "../outside")
                .file("outside", "replaced"));
        assertThat(Files.isSymbolicLink(root.resolve("passwd"))).isFalse();
        assertThat(Files.readString(root.resolve("passwd"))).isEqualTo("mine");
        assertThat(Files.readString(root.resolve("outside"))).isEqualTo("replaced");
    }

    @Test
    void symlinkLoopIsAnError() {
        assertThatThrownBy(
                        () -> apply(t -> t.symlink("a", "b").symlink("b", "a").file("a/x", "x")))
                .hasMessageContaining("Too many levels of symbolic links");
    }

    @Test
    void hardlinkToDotDotOutsideIsRejected() {
        assertThatThrownBy(() -> apply(t -> t.hardlink("hl", "../outside")))
                .isInstanceOf(LayerFormatException.class)
                .hasMessageContaining("does not exist inside the layer");
        assertThat(Files.exists(root.resolve("hl"))).isFalse();
    }

    @Test
    void hardlinkToAbsoluteHostPathIsRejected() {
        assertThatThrownBy(() -> apply(t -> t.hardlink("hl", "/etc/passwd"))).isInstanceOf(LayerFormatException.class);
        assertThat(Files.exists(root.resolve("etc")))
                .as("resolving a link target creates nothing")
                .isFalse();
    }

    @Test
    void hardlinkTargetsResolveInsideTheRoot() throws IOException {
        apply(t -> t.file("etc/passwd", "inner")
                .symlink("evil", "/")
                .hardlink("hl1", "/etc/passwd")
                .hardlink("hl2", "../../etc/passwd")
                .hardlink("hl3", "evil/etc/passwd")
                .hardlink("evil/hl4", "etc/passwd"));
        Object ino = Fs.attrs(root.resolve("etc/passwd")).get("ino");
        for (String n : new String[] {"hl1", "hl2", "hl3", "hl4"}) {
            assertThat(Fs.attrs(root.resolve(n)).get("ino")).as(n).isEqualTo(ino);
        }
    }

    @Test
    void hardlinkThroughSymlinkToOutsideIsRejected() {
        assertThatThrownBy(() -> apply(t -> t.symlink("up", "../../..").hardlink("hl", "up/outside")))
                .isInstanceOf(LayerFormatException.class);
    }

    @Test
    void symlinkTargetsAreStoredVerbatim() throws IOException {
        apply(t -> t.symlink("abs", "/etc/shadow").symlink("rel", "../../../../outside"));
        assertThat(Files.readSymbolicLink(root.resolve("abs")).toString()).isEqualTo("/etc/shadow");
        assertThat(Files.readSymbolicLink(root.resolve("rel")).toString()).isEqualTo("../../../../outside");
    }

    @Test
    void whiteoutThroughSymlinkStaysInside() throws IOException {
        apply(t -> t.symlink("evil", "/").file("evil/etc/.wh.passwd", "").file("up/../../.wh.outside", ""));
        assertThat(Fs.mode(root.resolve("etc/passwd"))).isEqualTo(020000);
        assertThat(Fs.mode(root.resolve("outside"))).isEqualTo(020000);
    }
}
