package dev.berth.unionfs.tar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.unionfs.sys.LibC;
import dev.berth.unionfs.testing.Fs;
import dev.berth.unionfs.testing.Proc;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Archives written by GNU tar, the producer of most real layers' habits, applied by us and by GNU tar
 * itself: the two trees must be identical. Covers what commons-compress cannot write: sparse files
 * (PAX 1.0 and old GNU), binary xattr values such as {@code security.capability}, non-UTF-8 names.
 * Sequentially (parallelism 1) and with writer threads.
 */
@ParameterizedClass(name = "parallelism {0}")
@ValueSource(ints = {1, 4})
class GnuTarInteropTest {

    /** VFS_CAP_REVISION_2 with the effective flag; permitted = CAP_SETGID|CAP_SETUID|CAP_NET_RAW. */
    static final byte[] CAPABILITY = HexFormat.of().parseHex("01000002" + "c0200000" + "00000000" + "0000000000000000");

    @TempDir
    Path tmp;

    Path src;
    final ApplyOptions options;

    GnuTarInteropTest(int parallelism) {
        options = ApplyOptions.defaults().withParallelism(parallelism);
    }

    @BeforeAll
    static void requireRootAndTar() throws Exception {
        assertThat(LibC.geteuid()).isZero();
        assertThat(Proc.run("tar", "--version").exitCode()).isZero();
    }

    @BeforeEach
    void source() throws Exception {
        src = Files.createDirectory(tmp.resolve("src"));
        Proc.check(
                "sh",
                "-c",
                String.join(
                        "; ",
                        "cd " + src,
                        "mkdir -p bin 'sp ace' deep/er",
                        "truncate -s 64M sparse",
                        "printf hello | dd of=sparse bs=1 seek=4194304 conv=notrunc status=none",
                        "printf tail | dd of=sparse bs=1 seek=67108860 conv=notrunc status=none",
                        "truncate -s 10M holes-only",
                        "printf ping > bin/ping && chown 0:0 bin/ping && chmod 4755 bin/ping",
                        "printf 'x' > \"$(printf 'caf\\351')\"",
                        "printf 'y' > 'sp ace/f' && chown 1234:5678 'sp ace/f'",
                        "ln -s ../bin/ping deep/er/link && ln bin/ping bin/ping.hard",
                        "mkfifo deep/fifo && touch -d 2001-02-03T04:05:06 deep/er deep 'sp ace' bin ."));
        Fs.setXattr(src.resolve("bin/ping"), "security.capability", CAPABILITY);
        Fs.setXattr(src.resolve("sp ace/f"), "user.bin", HexFormat.of().parseHex("ff0080ff"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pax", "gnu"})
    void matchesGnuTarExtraction(String format) throws Exception {
        Path tar = tmp.resolve("layer.tar");
        Proc.check(
                "tar",
                "--format=" + format,
                "--sparse",
                "--xattrs",
                "--xattrs-include=*",
                "--numeric-owner",
                "-C",
                src.toString(),
                "-cf",
                tar.toString(),
                ".");
        Path byGnu = Files.createDirectory(tmp.resolve("gnu"));
        Proc.check(
                "tar",
                "--xattrs",
                "--xattrs-include=*",
                "--numeric-owner",
                "--same-owner",
                "-xpf",
                tar.toString(),
                "-C",
                byGnu.toString());
        Path byUs = Files.createDirectory(tmp.resolve("us"));

        try (InputStream in = Files.newInputStream(tar)) {
            new LayerApplier(options).apply(in, byUs);
        }

        assertThat(Fs.snapshot(byUs, null)).isEqualTo(Fs.snapshot(byGnu, null));
        assertThat(Fs.xattr(byUs.resolve("bin/ping"), "security.capability")).isEqualTo(CAPABILITY);
        assertThat(Fs.mode(byUs.resolve("bin/ping")))
                .as("setuid survives chown and setcap")
                .isEqualTo(0104755);
        assertThat(Fs.xattr(byUs.resolve("sp ace/f"), "user.bin"))
                .isEqualTo(HexFormat.of().parseHex("ff0080ff"));
        assertThat(Files.exists(byUs.resolve(src.relativize(src.resolve("caf\uFFFD")))))
                .isFalse();
        assertThat(Proc.check("ls", byUs.toString()).out()).contains("caf\uFFFD"); // raw 0xE9 byte kept
        LibC.Stat sparse =
                LibC.lstatAt(LibC.AT_FDCWD, LibC.cString(byUs.resolve("sparse").toString()));
        assertThat(sparse.size()).isEqualTo(64L << 20);
        assertThat(sparse.blocks() * 512).as("holes are holes").isLessThan(1L << 20);
        assertThat(Fs.sha256(byUs.resolve("sparse"))).isEqualTo(Fs.sha256(src.resolve("sparse")));
        LibC.Stat holes = LibC.lstatAt(
                LibC.AT_FDCWD, LibC.cString(byUs.resolve("holes-only").toString()));
        assertThat(holes.size()).isEqualTo(10L << 20);
        assertThat(holes.blocks()).isZero();
    }
}
