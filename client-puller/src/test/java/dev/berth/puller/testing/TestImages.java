package dev.berth.puller.testing;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * The images the tests pull, built from scratch into one OCI layout and pushed to a test registry:
 * <ul>
 *   <li>{@code base}: one gzip layer with setuid/setgid/sticky modes, owners, hardlinks and symlinks</li>
 *   <li>{@code app}: base + a gzip layer of deletions, an opaque directory and replacements + a zstd layer</li>
 *   <li>{@code multi}: an index for linux/amd64 and linux/arm64</li>
 *   <li>{@code big}: base + a 3 MiB incompressible layer (for resume and corruption)</li>
 *   <li>{@code busybox}: Debian's static busybox with /bin/sh, Cmd echoing a greeting</li>
 *   <li>{@code busybox-nocmd}: the same without Entrypoint and Cmd (not in {@link #pushAll})</li>
 *   <li>{@code baddiff}: a layer whose config diff_id does not match its content</li>
 * </ul>
 */
public final class TestImages {
    public static final Platform AMD64 = Platform.of("linux", "amd64", null);
    public static final Platform ARM64 = Platform.of("linux", "arm64", null);

    public final OciLayout layout;
    public final OciLayout.Layer baseLayer;
    public final OciLayout.Layer changeLayer;
    public final OciLayout.Layer zstdLayer;
    public final OciLayout.Layer bigLayer;

    private TestImages(Path dir) throws IOException {
        layout = new OciLayout(dir);
        baseLayer = OciLayout.Layer.gzip(new LayerBuilder()
                .dir("bin")
                .dir("etc")
                .dir("tmp", 01777, 0, 0)
                .dir("usr")
                .dir("usr/bin")
                .dir("usr/lib")
                .dir("home", 0755, 0, 0)
                .dir("home/user", 0750, 1000, 1000)
                .dir("var")
                .dir("var/lib")
                .dir("var/lib/data", 0700, 0, 0)
                .dir("opt")
                .dir("opt/gone", 0755, 0, 0)
                .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n")
                .file("etc/hostname", "base\n")
                .file("etc/deleteme", "soon gone\n")
                .file("usr/bin/suid", "#!/bin/sh\necho suid\n", 04755, 0, 0)
                .file("usr/bin/sgid", "#!/bin/sh\necho sgid\n", 02755, 0, 50)
                .hardlink("usr/bin/suid-link", "usr/bin/suid")
                .file("home/user/notes", "private\n", 0640, 1000, 1000)
                .file("opt/gone/a", "a\n")
                .file("opt/gone/b", "b\n")
                .file("var/lib/data/f", "data\n", 0600, 0, 0)
                .symlink("usr/lib64", "lib")
                .symlink("etc/localtime", "/usr/share/zoneinfo/UTC")
                .symlink("bin/tool", "../usr/bin/suid")
                .tar());
        changeLayer = OciLayout.Layer.gzip(new LayerBuilder()
                .dir("etc")
                .whiteout("etc/deleteme")
                .file("etc/hostname", "app\n", 0600, 0, 0)
                .dir("opt/gone", 0711, 0, 0)
                .opaque("opt/gone")
                .file("opt/gone/c", "c\n")
                .whiteout("var/lib/data")
                .dir("tmp", 01777, 0, 0)
                .file("tmp/scratch", "x\n", 0666, 1000, 1000)
                .file("usr/bin/app", "#!/bin/sh\necho app\n", 0755, 0, 0)
                .hardlink("usr/bin/app-alias", "usr/bin/app")
                .symlink("bin/tool", "../usr/bin/app")
                .dir("home/user", 0700, 1000, 1000)
                .tar());
        zstdLayer = OciLayout.Layer.zstd(new LayerBuilder()
                .dir("etc")
                .file("etc/motd", "welcome to berth\n", 0644, 0, 0)
                .whiteout("usr/bin/sgid")
                .tar());
        byte[] random = new byte[3 * 1024 * 1024];
        new Random(42).nextBytes(random);
        bigLayer = OciLayout.Layer.gzip(new LayerBuilder()
                .dir("data")
                .file("data/random.bin", random, 0644, 0, 0)
                .tar());
    }

    /** Builds every image into {@code dir}. */
    public static TestImages build(Path dir) throws IOException {
        TestImages t = new TestImages(dir);
        OciLayout l = t.layout;
        l.tag("base", l.image(List.of(t.baseLayer), AMD64, List.of("/bin/sh"), null));
        l.tag("app", l.image(List.of(t.baseLayer, t.changeLayer, t.zstdLayer), AMD64, List.of("/usr/bin/app"), null));
        // The same layers with the zstd one gzipped (umoci 0.4 reads no zstd): same DiffIDs, same ChainIDs.
        l.tag(
                "app-gz",
                l.image(
                        List.of(t.baseLayer, t.changeLayer, OciLayout.Layer.gzip(t.zstdLayer.tar())),
                        AMD64,
                        List.of("/usr/bin/app"),
                        null));
        l.tag("big", l.image(List.of(t.baseLayer, t.bigLayer), AMD64, null, null));
        Descriptor amd = l.image(List.of(archLayer("amd64")), AMD64, null, null);
        Descriptor arm = l.image(List.of(archLayer("arm64")), ARM64, null, null);
        l.tag("multi", l.index(List.of(amd, arm)));
        byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
        OciLayout.Layer bb = OciLayout.Layer.gzip(new LayerBuilder()
                .dir("bin")
                .dir("tmp", 01777, 0, 0)
                .file("bin/busybox", busybox, 0755, 0, 0)
                .symlink("bin/sh", "busybox")
                .symlink("bin/echo", "busybox")
                .dir("proc")
                .dir("dev")
                .dir("sys")
                .dir("etc")
                .file("etc/greeting", "hello from berth\n")
                .tar());
        l.tag(
                "busybox",
                l.image(
                        List.of(bb),
                        AMD64,
                        List.of("/bin/sh", "-c", "read line < /etc/greeting; echo \"$line\" in $PWD"),
                        null));
        l.tag("busybox-nocmd", l.image(List.of(bb), AMD64, null, null));
        byte[] real = new LayerBuilder().file("real", "real\n").tar();
        byte[] claimed = new LayerBuilder().file("real", "claimed\n").tar();
        l.tag(
                "baddiff",
                l.image(
                        List.of(new OciLayout.Layer(
                                claimed, LayerBuilder.gzip(real), dev.berth.oci.MediaTypes.OCI_LAYER_GZIP)),
                        AMD64,
                        null,
                        null));
        return t;
    }

    /** Pushes every image to {@code registry} under {@code repo:<name>}. */
    public void pushAll(TestRegistry registry, String repo) throws IOException {
        for (String tag : List.of("base", "app", "app-gz", "big", "multi", "busybox", "baddiff")) {
            registry.push(layout.dir(), tag, repo + ":" + tag);
        }
    }

    private static OciLayout.Layer archLayer(String arch) throws IOException {
        return OciLayout.Layer.gzip(
                new LayerBuilder().dir("etc").file("etc/arch", arch + "\n").tar());
    }
}
