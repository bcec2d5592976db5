package dev.berth.unionfs.tar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.unionfs.sys.ErrnoException;
import dev.berth.unionfs.sys.LibC;
import dev.berth.unionfs.testing.Fs;
import dev.berth.unionfs.testing.TarBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parallel apply must produce exactly the tree of the sequential one. The layers here are built to
 * make writers and the reader meet: thousands of small files spread over more directories than the
 * descriptor cache holds (so descriptors are evicted while files in them are being written), paths
 * written twice, hardlinks, symlinks, whiteouts and directories right after the file they replace or
 * link to, files reached through symlinked directories, large files written by the reader in between,
 * and a second layer applied over the first.
 */
class ParallelApplyTest {

    private static final Instant T1 = Instant.parse("2023-05-06T07:08:09.5Z");

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireRoot() {
        assertThat(LibC.geteuid()).as("chown and device nodes: run as root").isZero();
    }

    @AfterEach
    void noWriterLeftRunning() {
        assertThat(writerThreads()).isEmpty();
    }

    @Test
    void parallelTreeEqualsSequentialTree() throws IOException {
        byte[] lower = layer(1, 400, 5000);
        byte[] upper = layer(2, 300, 2500);
        Map<String, String> expected = null;
        // {parallelism, directory descriptors cached}: a cache of 2 evicts on almost every entry, while
        // files in the evicted directories are still queued or being written.
        for (int[] run : new int[][] {{1, 256}, {2, 256}, {4, 256}, {8, 256}, {1, 2}, {4, 2}}) {
            int parallelism = run[0];
            Path root = Files.createDirectory(tmp.resolve("p" + parallelism + "-c" + run[1]));
            LayerApplier applier = new LayerApplier(ApplyOptions.defaults().withParallelism(parallelism), run[1]);
            ApplyResult r1 = applier.apply(new ByteArrayInputStream(lower), root);
            // Over a non-empty root: files that exist from the lower layer must be replaced, not clashed with.
            ApplyResult r2 = applier.apply(new ByteArrayInputStream(upper), root);
            Map<String, String> tree = tree(root);
            assertThat(tree).as("sanity").hasSizeGreaterThan(5000);
            if (expected == null) {
                expected = tree;
                assertThat(r1.entries()).isGreaterThan(5000);
            } else {
                assertThat(differences(expected, tree))
                        .as("parallelism %d, cache %d", parallelism, run[1])
                        .isEmpty();
            }
            assertThat(writerThreads()).isEmpty();
        }
    }

    @Test
    void writerFailureStopsTheApplyAndNamesTheEntry() throws IOException {
        TarBuilder b = new TarBuilder();
        for (int i = 0; i < 2000; i++) {
            b.file("d" + (i % 50) + "/f" + i, "content " + i);
        }
        // An xattr name longer than the kernel's limit: fsetxattr fails with ERANGE, on a writer thread.
        b.file(
                "bad/entry",
                0644,
                "x".getBytes(StandardCharsets.UTF_8),
                e -> e.addPaxHeader("SCHILY.xattr.user." + "n".repeat(300), "v"));
        for (int i = 0; i < 2000; i++) {
            b.file("e" + (i % 50) + "/f" + i, "content " + i);
        }
        byte[] tar = b.bytes();
        Path root = Files.createDirectory(tmp.resolve("root"));

        assertThatThrownBy(() -> new LayerApplier(ApplyOptions.defaults().withParallelism(4))
                        .apply(new ByteArrayInputStream(tar), root))
                .isInstanceOf(ErrnoException.class)
                .hasMessageContaining("bad/entry")
                .hasMessageContaining("setxattr");
        assertThat(writerThreads()).isEmpty();
    }

    @Test
    void readerFailureWaitsForTheWriters() throws IOException {
        TarBuilder b = new TarBuilder();
        for (int i = 0; i < 3000; i++) {
            b.file("d" + (i % 30) + "/f" + i, "content " + i);
        }
        b.raw(new TarArchiveEntry("label", (byte) 'V', true), new byte[0]);
        byte[] tar = b.bytes();
        Path root = Files.createDirectory(tmp.resolve("root"));

        assertThatThrownBy(() -> new LayerApplier(ApplyOptions.defaults().withParallelism(4))
                        .apply(new ByteArrayInputStream(tar), root))
                .isInstanceOf(LayerFormatException.class)
                .hasMessageContaining("unsupported");
        assertThat(writerThreads()).isEmpty();
    }

    @Test
    void hardlinkRightAfterItsTargetSeesTheWholeFile() throws IOException {
        byte[] content = new byte[300_000];
        new Random(7).nextBytes(content);
        TarBuilder b = new TarBuilder();
        for (int i = 0; i < 500; i++) {
            b.file("d/f" + i, 0640, content, e -> e.setUserId(1000));
            b.hardlink("d/h" + i, "d/f" + i);
        }
        byte[] tar = b.bytes();
        Path root = Files.createDirectory(tmp.resolve("root"));

        new LayerApplier(ApplyOptions.defaults().withParallelism(4)).apply(new ByteArrayInputStream(tar), root);

        String sha = Fs.sha256(content);
        for (int i = 0; i < 500; i += 37) {
            Map<String, Object> a = Fs.attrs(root.resolve("d/h" + i));
            assertThat(a)
                    .containsEntry("nlink", 2)
                    .containsEntry("uid", 1000)
                    .containsEntry("mode", 0100640)
                    .containsEntry("size", (long) content.length);
            assertThat(a.get("ino")).isEqualTo(Fs.attrs(root.resolve("d/f" + i)).get("ino"));
            assertThat(Fs.sha256(root.resolve("d/h" + i))).isEqualTo(sha);
        }
    }

    /**
     * A layer with {@code dirs} directories ("dNNN", all declared, some before and some after their
     * files) and about {@code files} small files visited round-robin, with every kind of path reuse.
     */
    private static byte[] layer(long seed, int dirs, int files) {
        Random rnd = new Random(seed);
        TarBuilder b = new TarBuilder();
        List<String> written = new ArrayList<>();
        for (int d = 0; d < dirs; d += 2) {
            b.dir(dir(d), 0755);
        }
        b.dir("links", 0755);
        b.symlink("links/to-d5", "../" + dir(5));
        b.symlink("abs-d7", "/" + dir(7));
        for (int i = 0; i < files; i++) {
            String name = dir((i * 7) % dirs) + "/f" + i;
            int kind = rnd.nextInt(100);
            if (kind < 70 || written.size() < 10) {
                file(b, rnd, name, 5000);
                written.add(name);
            } else if (kind < 75) {
                // The same path again, most often one that was just handed to a writer.
                String again =
                        written.get(written.size() - 1 - rnd.nextInt(Math.min(written.size(), kind == 70 ? 3 : 500)));
                file(b, rnd, again, 5000);
            } else if (kind < 80) {
                String target = written.get(written.size() - 1 - rnd.nextInt(Math.min(written.size(), 4)));
                b.hardlink(dir(rnd.nextInt(dirs)) + "/h" + i, target);
            } else if (kind < 82) {
                // A hardlink over an existing file.
                String target = written.get(written.size() - 1);
                b.hardlink(written.get(written.size() - 2), target);
            } else if (kind < 84) {
                b.symlink(written.get(written.size() - 1), "../elsewhere/" + i);
            } else if (kind < 85) {
                String w = written.get(written.size() - 1);
                int slash = w.lastIndexOf('/');
                b.file(w.substring(0, slash) + "/.wh." + w.substring(slash + 1), "");
            } else if (kind < 86) {
                // A directory replaces a file that was just written.
                String w = written.remove(written.size() - 1);
                b.dir(w, 0700);
                file(b, rnd, w + "/inside", 100);
            } else if (kind < 88) {
                // Through symlinked directories: the same real paths under other names.
                file(b, rnd, (rnd.nextBoolean() ? "links/to-d5/g" : "abs-d7/g") + rnd.nextInt(40), 3000);
            } else if (kind < 89) {
                if (rnd.nextInt(8) == 0) {
                    // Larger than a writer takes: written by the reader, between files in flight.
                    b.file(
                            dir(rnd.nextInt(dirs)) + "/big" + i,
                            0644,
                            random(rnd, (1 << 20) + 1 + rnd.nextInt(1 << 19)),
                            e -> {});
                } else {
                    file(b, rnd, dir(rnd.nextInt(dirs)) + "/mid" + i, 200_000);
                }
            } else if (kind < 90) {
                b.node(dir(rnd.nextInt(dirs)) + "/fifo" + i, TarConstants.LF_FIFO, 0600, 0, 0);
            } else if (kind < 91) {
                b.file(dir(rnd.nextInt(dirs)) + "/.wh..wh..opq", "");
            } else if (kind < 92) {
                // A file replaces a whole directory with files still being written in it.
                String tree = "tree" + seed + "-" + i;
                for (int k = 0; k < 20; k++) {
                    file(b, rnd, tree + "/sub/x" + k, 2000);
                }
                file(b, rnd, tree, 10);
            } else {
                file(b, rnd, name, 200);
                written.add(name);
            }
        }
        // Every directory that remains has an entry, so that its times are the tar's, not the clock's.
        for (int d = 1; d < dirs; d += 2) {
            b.dir(dir(d), d % 3 == 0 ? 0750 : 02775);
        }
        b.dir("./", 0755);
        return b.bytes();
    }

    private static String dir(int d) {
        return String.format("d%03d", d);
    }

    private static void file(TarBuilder b, Random rnd, String name, int maxSize) {
        int mode = switch (rnd.nextInt(6)) {
            case 0 -> 0600;
            case 1 -> 0755;
            case 2 -> 04755;
            case 3 -> 0440;
            default -> 0644;
        };
        int uid = rnd.nextInt(4) == 0 ? 1000 + rnd.nextInt(3) : 0;
        int gid = rnd.nextInt(4) == 0 ? 1000 + rnd.nextInt(3) : 0;
        boolean xattr = rnd.nextInt(10) == 0;
        String value = "v" + rnd.nextInt(1000);
        boolean nanos = rnd.nextInt(5) == 0;
        b.file(name, mode, random(rnd, rnd.nextInt(maxSize + 1)), e -> {
            e.setUserId(uid);
            e.setGroupId(gid);
            if (xattr) {
                e.addPaxHeader("SCHILY.xattr.user.test", value);
            }
            if (nanos) {
                e.setLastModifiedTime(FileTime.from(T1));
            }
        });
    }

    private static byte[] random(Random rnd, int size) {
        byte[] b = new byte[size];
        rnd.nextBytes(b);
        return b;
    }

    /** Fs.snapshot plus what it leaves out: device numbers, xattrs, and which paths share an inode. */
    private static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> snap = Fs.snapshot(root, null);
        Map<Object, String> firstPathOfInode = new HashMap<>();
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted().toList()) {
                String rel = root.relativize(p).toString();
                Map<String, Object> a;
                try {
                    a = Fs.attrs(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                String links = "";
                if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    links = " same-as=" + firstPathOfInode.computeIfAbsent(a.get("ino"), k -> rel);
                }
                byte[] x = Fs.xattr(p, "user.test");
                byte[] opq = Fs.xattr(p, "trusted.overlay.opaque");
                String line = snap.get(rel);
                if ((Integer) a.get("mode") == 020000 && (Long) a.get("rdev") == 0) {
                    line = "whiteout nlink=" + a.get("nlink"); // made now, so its times are the clock's
                }
                out.put(
                        rel,
                        line + " rdev=" + a.get("rdev") + links
                                + " x=" + (x == null ? "-" : new String(x, StandardCharsets.UTF_8))
                                + " opq=" + (opq == null ? "-" : new String(opq, StandardCharsets.UTF_8)));
            }
        }
        return out;
    }

    /** "path: expected / actual" for each path that differs, so that a failure reads well. */
    private static List<String> differences(Map<String, String> expected, Map<String, String> actual) {
        TreeMap<String, String> all = new TreeMap<>(expected);
        actual.forEach(all::putIfAbsent);
        List<String> out = new ArrayList<>();
        for (String k : all.keySet()) {
            String e = expected.get(k);
            String a = actual.get(k);
            if (e == null ? a != null : !e.equals(a)) {
                out.add(k + ": " + e + " / " + a);
            }
        }
        return out;
    }

    private static List<String> writerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("berth-layer-writer"))
                .toList();
    }
}
