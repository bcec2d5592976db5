package dev.berth.unionfs.mount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.unionfs.sys.LibC;
import dev.berth.unionfs.tar.LayerApplier;
import dev.berth.unionfs.testing.Fs;
import dev.berth.unionfs.testing.TarBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real mounts of layers written by {@link LayerApplier}; needs root. */
class OverlayMountTest {

    @TempDir
    Path tmp;

    private final Mounter mounter = Mounter.linux();
    private final List<Path> mounted = new ArrayList<>();

    @BeforeAll
    static void requireRoot() {
        assertThat(LibC.geteuid()).as("mount tests need root").isZero();
    }

    @AfterEach
    void unmountAll() throws IOException {
        for (Path p : mounted) {
            while (mounter.isMountPoint(p)) {
                mounter.unmount(p);
            }
        }
    }

    private Path layer(String name, Consumer<TarBuilder> content) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name).resolve("diff"));
        TarBuilder b = new TarBuilder();
        content.accept(b);
        new LayerApplier().apply(new ByteArrayInputStream(b.bytes()), dir);
        return dir;
    }

    private Path mount(MountSpec spec) throws IOException {
        Files.createDirectories(spec.target());
        mounted.add(spec.target());
        mounter.mount(spec);
        return spec.target();
    }

    private List<String> lower() throws IOException {
        return List.of(layer(
                        "lower",
                        t -> t.file("a.txt", "a")
                                .file("dir/keep", "keep")
                                .file("opq/lowerfile", "x")
                                .file("both.txt", "lower"))
                .toString());
    }

    private Path upperLayer() throws IOException {
        return layer(
                "upper",
                t -> t.file(".wh.a.txt", "")
                        .dir("opq", 0755)
                        .file("opq/.wh..wh..opq", "")
                        .file("opq/newfile", "new")
                        .file("both.txt", "upper"));
    }

    @Test
    void readOnlyOverlayShowsTheMergedView() throws IOException {
        Path lower = Path.of(lower().get(0));
        Path upper = upperLayer();

        Path merged = mount(new MountPlanner().readOnly(List.of(upper, lower), tmp.resolve("merged")));

        assertThat(mounter.isMountPoint(merged)).isTrue();
        assertThat(Files.exists(merged.resolve("a.txt")))
                .as("whiteout hides the lower file")
                .isFalse();
        assertThat(Files.readString(merged.resolve("dir/keep"))).isEqualTo("keep");
        assertThat(list(merged.resolve("opq")))
                .as("opaque dir hides lower content")
                .containsExactly("newfile");
        assertThat(Files.readString(merged.resolve("both.txt"))).isEqualTo("upper");
        assertThatThrownBy(() -> Files.writeString(merged.resolve("new"), "x"))
                .isInstanceOf(FileSystemException.class)
                .hasMessageContaining("Read-only");

        mounter.unmount(merged);
        assertThat(mounter.isMountPoint(merged)).isFalse();
        assertThat(list(merged)).isEmpty();
    }

    @Test
    void writableOverlayWritesToTheUpperDir() throws IOException {
        Path lower = Path.of(lower().get(0));
        Path top = upperLayer();
        Path upper = Files.createDirectories(tmp.resolve("c/upper"));
        Path work = Files.createDirectories(tmp.resolve("c/work"));

        Path merged = mount(new MountPlanner().writable(List.of(top, lower), upper, work, tmp.resolve("merged")));
        Files.writeString(merged.resolve("created"), "c");
        Files.delete(merged.resolve("dir/keep"));

        assertThat(Files.readString(upper.resolve("created"))).isEqualTo("c");
        assertThat(Fs.attrs(upper.resolve("dir/keep")))
                .as("deleting a lower file leaves a whiteout")
                .containsEntry("mode", 020000)
                .containsEntry("rdev", 0L);
        assertThat(Files.readString(lower.resolve("dir/keep"))).isEqualTo("keep");
        mounter.unmount(merged);
        assertThat(mounter.isMountPoint(merged)).isFalse();
    }

    @Test
    void singleLayerIsAReadOnlyBindMount() throws IOException {
        Path only = layer("only", t -> t.file("etc/x", "x"));

        MountSpec spec = new MountPlanner().readOnly(List.of(only), tmp.resolve("view"));
        Path view = mount(spec);

        assertThat(spec.type()).isEqualTo("bind");
        assertThat(Files.readString(view.resolve("etc/x"))).isEqualTo("x");
        assertThatThrownBy(() -> Files.writeString(view.resolve("etc/y"), "y"))
                .isInstanceOf(FileSystemException.class)
                .hasMessageContaining("Read-only");
        assertThat(MountTable.read())
                .anyMatch(e -> e.mountPoint().equals(view) && e.mountOptions().startsWith("ro"));
    }

    @Test
    void longChainMountsOnlyThroughShortLinks() throws IOException {
        // A root name long enough that even the 60 link paths written absolutely exceed a page, whatever the length
        // of the temporary directory: only the root-relative short links fit.
        Path root = Files.createDirectories(tmp.resolve("overlay2-" + "r".repeat(60)));
        List<Path> links = new ArrayList<>();
        for (int i = 59; i >= 0; i--) { // topmost first
            int n = i;
            String id = String.format("%064x", n) + "-" + "x".repeat(40);
            Path diff = Files.createDirectories(root.resolve(id).resolve("diff"));
            TarBuilder b = new TarBuilder().file("layer" + n, "L" + n).file("shared", "from " + n);
            new LayerApplier().apply(new ByteArrayInputStream(b.bytes()), diff);
            links.add(ShortLinks.create(root, diff));
        }
        List<Path> absolute = new ArrayList<>();
        for (Path l : links) {
            absolute.add(l.toRealPath());
        }
        Path target = tmp.resolve("merged");
        assertThatThrownBy(() -> new MountPlanner().readOnly(absolute, target))
                .hasMessageContaining("more than a page");
        String cwdBefore = Files.readSymbolicLink(Path.of("/proc/self/cwd")).toString();

        MountSpec spec = new MountPlanner().withLinkRoot(root).readOnly(links, target);
        mount(spec);

        assertThat(spec.workingDirectory()).contains(root);
        assertThat(spec.data()).startsWith("lowerdir=l/");
        assertThat(Files.readSymbolicLink(Path.of("/proc/self/cwd")).toString()).isEqualTo(cwdBefore);
        for (int i = 0; i < 60; i++) {
            assertThat(Files.readString(target.resolve("layer" + i))).isEqualTo("L" + i);
        }
        assertThat(Files.readString(target.resolve("shared"))).isEqualTo("from 59");
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
