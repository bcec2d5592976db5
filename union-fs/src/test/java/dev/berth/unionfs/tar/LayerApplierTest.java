package dev.berth.unionfs.tar;

import static dev.berth.unionfs.testing.Fs.attrs;
import static dev.berth.unionfs.testing.Fs.mode;
import static dev.berth.unionfs.testing.Fs.sha256;
import static dev.berth.unionfs.testing.Fs.xattr;
import static dev.berth.unionfs.testing.TarBuilder.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.unionfs.sys.LibC;
import dev.berth.unionfs.testing.TarBuilder;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/** Every case runs sequentially (parallelism 1) and with writer threads. */
@ParameterizedClass(name = "parallelism {0}")
@ValueSource(ints = {1, 4})
class LayerApplierTest {

    @TempDir
    Path tmp;

    private final LayerApplier applier;

    LayerApplierTest(int parallelism) {
        applier = new LayerApplier(ApplyOptions.defaults().withParallelism(parallelism));
    }

    @BeforeAll
    static void requireRoot() {
        assertThat(LibC.geteuid())
                .as("these tests make device nodes and chown: run them as root")
                .isZero();
    }

    private Path root() throws IOException {
        return Files.createDirectory(tmp.resolve("diff"));
    }

    @Test
    void appliesEveryEntryTypeWithItsMetadata() throws IOException {
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        new Random(42).nextBytes(big);
        String longName = "long/" + "a".repeat(120) + "/" + "b".repeat(120) + "/" + "c".repeat(100) + ".txt";
        // commons-compress writes PAX times with 100 ns resolution.
        Instant nanos = Instant.parse("2022-01-02T03:04:05.1234567Z");
        byte[] tar = new TarBuilder()
                .dir("./", 0755)
                .dir("etc", 0750, e -> e.setGroupId(4))
                .file("etc/conf", 0640, "conf".getBytes(StandardCharsets.UTF_8), e -> {
                    e.setUserId(1000);
                    e.setGroupId(1001);
                    e.addPaxHeader("SCHILY.xattr.user.comment", "hello");
                })
                .symlink("etc/link", "conf", e -> {
                    e.setUserId(1000);
                    e.setGroupId(1000);
                })
                .hardlink("etc/conf.hard", "etc/conf")
                .file("usr/bin/su", 04755, "su".getBytes(StandardCharsets.UTF_8), e -> {
                    e.setUserId(1000);
                    e.setGroupId(1000);
                })
                .file("usr/bin/wall", 02755, "wall".getBytes(StandardCharsets.UTF_8), e -> e.setGroupId(5))
                .dir("tmp", 01777, e -> e.setUserId(3000))
                .dir("shared", 02775, e -> {
                    e.setUserId(1000);
                    e.setGroupId(1000);
                })
                .node("dev/null", TarConstants.LF_CHR, 0666, 1, 3)
                .node("dev/loop0", TarConstants.LF_BLK, 0660, 7, 0)
                .node("dev/wide", TarConstants.LF_CHR, 0600, 4095, 65536)
                .node("run/fifo", TarConstants.LF_FIFO, 0600, 0, 0)
                .file("data/big.bin", 0644, big, e -> {})
                .file("data/empty", 0600, new byte[0], e -> {})
                .file("data/nanos", 0644, "n".getBytes(StandardCharsets.UTF_8), e -> {
                    e.setLastModifiedTime(FileTime.from(nanos));
                    e.setLastAccessTime(FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
                })
                .file(longName, "long")
                .file("données/é.txt", "unicode")
                .bytes();
        Path root = root();

        ApplyResult result = applier.apply(new ByteArrayInputStream(tar), root);

        assertThat(result.entries()).isEqualTo(18);
        assertThat(result.bytes()).isEqualTo(big.length + 4 + 2 + 4 + 1 + 4 + 7);
        assertThat(mode(root)).isEqualTo(040755);
        assertThat(lastModified(root)).isEqualTo(T0);

        Path etc = root.resolve("etc");
        assertThat(mode(etc)).isEqualTo(040750);
        assertThat(attrs(etc).get("gid")).isEqualTo(4);
        assertThat(lastModified(etc))
                .as("directory times are set after its children")
                .isEqualTo(T0);

        Path conf = etc.resolve("conf");
        Map<String, Object> a = attrs(conf);
        assertThat(a)
                .containsEntry("mode", 0100640)
                .containsEntry("uid", 1000)
                .containsEntry("gid", 1001)
                .containsEntry("size", 4L)
                .containsEntry("nlink", 2);
        assertThat(Files.readString(conf)).isEqualTo("conf");
        assertThat(lastModified(conf)).isEqualTo(T0);
        assertThat(xattr(conf, "user.comment")).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
        assertThat(attrs(etc.resolve("conf.hard")).get("ino")).isEqualTo(a.get("ino"));

        Path link = etc.resolve("link");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readSymbolicLink(link).toString()).isEqualTo("conf");
        assertThat(attrs(link)).containsEntry("uid", 1000).containsEntry("gid", 1000);
        assertThat(lastModified(link)).isEqualTo(T0);

        assertThat(attrs(root.resolve("usr/bin/su")))
                .containsEntry("mode", 0104755)
                .containsEntry("uid", 1000);
        assertThat(attrs(root.resolve("usr/bin/wall")))
                .containsEntry("mode", 0102755)
                .containsEntry("gid", 5);
        assertThat(mode(root.resolve("usr"))).as("implicit parents").isEqualTo(040755);
        assertThat(attrs(root.resolve("tmp"))).containsEntry("mode", 041777).containsEntry("uid", 3000);
        assertThat(attrs(root.resolve("shared"))).containsEntry("mode", 042775).containsEntry("uid", 1000);

        assertThat(attrs(root.resolve("dev/null")))
                .containsEntry("mode", 020666)
                .containsEntry("rdev", LibC.makedev(1, 3));
        assertThat(attrs(root.resolve("dev/loop0")))
                .containsEntry("mode", 060660)
                .containsEntry("rdev", LibC.makedev(7, 0));
        assertThat(attrs(root.resolve("dev/wide"))).containsEntry("rdev", LibC.makedev(4095, 65536));
        assertThat(mode(root.resolve("run/fifo"))).isEqualTo(010600);

        assertThat(sha256(root.resolve("data/big.bin"))).isEqualTo(dev.berth.unionfs.testing.Fs.sha256(big));
        assertThat(attrs(root.resolve("data/empty"))).containsEntry("size", 0L).containsEntry("mode", 0100600);
        Path n = root.resolve("data/nanos");
        LibC.Stat st = LibC.lstatAt(LibC.AT_FDCWD, LibC.cString(n.toString()));
        assertThat(Instant.ofEpochSecond(st.mtimeSec(), st.mtimeNsec())).isEqualTo(nanos);
        assertThat(((FileTime) Files.getAttribute(n, "lastAccessTime")).toInstant())
                .isEqualTo(Instant.parse("2020-01-01T00:00:00Z"));
        assertThat(Files.readString(root.resolve(longName))).isEqualTo("long");
        assertThat(Files.readString(root.resolve("données/é.txt"))).isEqualTo("unicode");
    }

    @Test
    void replacesExistingEntriesButKeepsDirectories() throws IOException {
        byte[] tar = new TarBuilder()
                .file("a", "first")
                .symlink("a", "/etc/passwd")
                .file("a", "second")
                .dir("d", 0700)
                .file("d/f", "kept")
                .dir("d", 0711)
                .dir("e", 0755)
                .file("e/child", "gone")
                .file("e", "now a file")
                .symlink("s", "target")
                .dir("s", 0755)
                .bytes();
        Path root = root();

        applier.apply(new ByteArrayInputStream(tar), root);

        assertThat(Files.readString(root.resolve("a"))).isEqualTo("second");
        assertThat(Files.isSymbolicLink(root.resolve("a"))).isFalse();
        assertThat(mode(root.resolve("d"))).isEqualTo(040711);
        assertThat(Files.readString(root.resolve("d/f"))).isEqualTo("kept");
        assertThat(Files.readString(root.resolve("e"))).isEqualTo("now a file");
        assertThat(Files.isDirectory(root.resolve("s"), LinkOption.NOFOLLOW_LINKS))
                .isTrue();
    }

    @Test
    void convertsWhiteoutsForOverlay() throws IOException {
        byte[] tar = new TarBuilder()
                .file(".wh.gone", "")
                .dir("opaque", 0755)
                .file("opaque/.wh..wh..opq", "")
                .file("opaque/new", "new")
                .file("implicit/.wh..wh..opq", "")
                .file("deep/er/.wh.file", "")
                .file(".wh..wh.plnk", "")
                .bytes();
        Path root = root();

        applier.apply(new ByteArrayInputStream(tar), root);

        assertThat(attrs(root.resolve("gone"))).containsEntry("mode", 020000).containsEntry("rdev", 0L);
        assertThat(attrs(root.resolve("deep/er/file")))
                .containsEntry("mode", 020000)
                .containsEntry("rdev", 0L);
        assertThat(xattr(root.resolve("opaque"), "trusted.overlay.opaque")).isEqualTo(new byte[] {'y'});
        assertThat(xattr(root.resolve("implicit"), "trusted.overlay.opaque")).isEqualTo(new byte[] {'y'});
        assertThat(Files.exists(root.resolve("opaque/.wh..wh..opq"))).isFalse();
        assertThat(Files.readString(root.resolve("opaque/new"))).isEqualTo("new");
        try (var s = Files.list(root)) {
            assertThat(s.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("gone", "opaque", "implicit", "deep");
        }
    }

    @Test
    void rejectsInvalidWhiteoutNames() throws IOException {
        for (String bad : new String[] {"dir/.wh..", "dir/.wh...", ".wh."}) {
            Path root = Files.createDirectories(tmp.resolve("w" + bad.length()));
            byte[] tar = new TarBuilder().file(bad, "").bytes();
            assertThatThrownBy(() -> applier.apply(new ByteArrayInputStream(tar), root))
                    .as(bad)
                    .isInstanceOf(LayerFormatException.class)
                    .hasMessageContaining("invalid whiteout");
        }
    }

    @Test
    void dropsOverlayXattrsFromTheTar() throws IOException {
        byte[] tar = new TarBuilder()
                .dir("d", 0755, e -> e.addPaxHeader("SCHILY.xattr.trusted.overlay.opaque", "y"))
                .file("f", 0644, new byte[0], e -> e.addPaxHeader("SCHILY.xattr.trusted.overlay.redirect", "/x"))
                .bytes();
        Path root = root();

        applier.apply(new ByteArrayInputStream(tar), root);

        assertThat(xattr(root.resolve("d"), "trusted.overlay.opaque")).isNull();
        assertThat(xattr(root.resolve("f"), "trusted.overlay.redirect")).isNull();
    }

    @Test
    void readsTheStreamToItsEnd() throws IOException {
        byte[] tar = new TarBuilder().file("a", "x").bytes();
        byte[] padded = new byte[tar.length + 4096]; // trailing zeros after the end-of-archive marker
        System.arraycopy(tar, 0, padded, 0, tar.length);
        long[] read = {0};
        InputStream counting = new FilterInputStream(new ByteArrayInputStream(padded)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int r = super.read(b, off, len);
                read[0] += Math.max(r, 0);
                return r;
            }
        };

        applier.apply(counting, root());

        assertThat(read[0]).isEqualTo(padded.length);
    }

    @Test
    void unsupportedEntryTypeIsAFormatError() throws IOException {
        var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("label", (byte) 'V', true);
        byte[] tar = new TarBuilder().raw(e, new byte[0]).bytes();
        assertThatThrownBy(() -> applier.apply(new ByteArrayInputStream(tar), root()))
                .isInstanceOf(LayerFormatException.class)
                .hasMessageContaining("unsupported");
    }

    private static Instant lastModified(Path p) throws IOException {
        return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant();
    }
}
