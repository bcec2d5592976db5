package dev.berth.puller.mount;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.ImageReference;
import dev.berth.puller.pull.LayerUnpacker;
import dev.berth.puller.pull.PullListener;
import dev.berth.puller.pull.PullOptions;
import dev.berth.puller.pull.Puller;
import dev.berth.puller.registry.CredentialStore;
import dev.berth.puller.registry.Registries;
import dev.berth.puller.registry.TransportOptions;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.store.Store;
import dev.berth.puller.testing.Proc;
import dev.berth.puller.testing.TestImages;
import dev.berth.puller.testing.TestRegistry;
import dev.berth.puller.testing.TreeSnapshot;
import dev.berth.unionfs.mount.Mounter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The merged overlay of a pulled image must be what umoci unpacks from the same OCI layout, and a bundle
 * made from a pulled image must run under runc.
 */
class MountTest {
    static Path work;
    private static TestRegistry registry;
    private static TestImages images;
    private static Store store;
    private static Puller puller;
    private static ImageMounts mounts;
    private final List<Path> mounted = new ArrayList<>();
    private final List<String> containers = new ArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        work = Files.createTempDirectory("berth-mount-test");
        startWith(TestRegistry.start(work.resolve("registry")));
    }

    /** Pushes the test images to {@code started} and prepares the store; subclasses pick another registry. */
    static void startWith(TestRegistry started) throws IOException {
        registry = started;
        images = TestImages.build(work.resolve("layout"));
        images.pushAll(registry, "test/img");
        store = Store.open(work.resolve("root"));
        puller = new Puller(
                store,
                new Registries(TransportOptions.defaults().withPlainHttp(true), CredentialStore.anonymous()),
                LayerUnpacker.unionFs(),
                PullOptions.defaults().withPlatform(TestImages.AMD64));
        mounts = new ImageMounts(store, Mounter.linux());
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
                mounts.unmount(p);
            }
        }
    }

    private String pull(String tag) throws IOException {
        ImageReference ref = ImageReference.parse(registry.host() + "/test/img:" + tag);
        puller.pull(ref, PullListener.NONE);
        return ref.toString();
    }

    @Test
    void mergedOverlayEqualsUmociUnpack() throws IOException {
        String ref = pull("app");
        Path target = work.resolve("mnt-app");
        mounted.add(target);
        mounts.mount(ref, target, false);

        // umoci 0.4 cannot read zstd; app-gz has the very same layers (same DiffIDs) with gzip instead.
        Path bundle = work.resolve("umoci-app");
        Proc.check(List.of("umoci", "unpack", "--image", images.layout.dir() + ":app-gz", bundle.toString()));

        Map<String, TreeSnapshot.Entry> ours = TreeSnapshot.of(target);
        Map<String, TreeSnapshot.Entry> theirs = TreeSnapshot.of(bundle.resolve("rootfs"));
        // The root directory itself comes from the mount point and umoci's bundle, not from the image.
        ours.remove("/");
        theirs.remove("/");
        assertThat(new TreeSet<>(ours.keySet())).isEqualTo(new TreeSet<>(theirs.keySet()));
        assertThat(ours).isEqualTo(theirs);
        // The interesting cases really are in there.
        assertThat(ours).doesNotContainKeys("/etc/deleteme", "/opt/gone/a", "/var/lib/data", "/usr/bin/sgid");
        assertThat(ours.get("/usr/bin/suid").mode()).isEqualTo("4755");
        assertThat(ours.get("/tmp").mode()).isEqualTo("1777");
        assertThat(ours.get("/home/user/notes").uid()).isEqualTo(1000);
        assertThat(ours.get("/bin/tool").link()).isEqualTo("../usr/bin/app");
        assertThat(ours).containsKeys("/opt/gone/c", "/etc/motd", "/usr/bin/app-alias");
        assertThat(Files.isSameFile(target.resolve("usr/bin/app"), target.resolve("usr/bin/app-alias")))
                .isTrue();
    }

    @Test
    void singleLayerReadOnlyMountIsABindMount() throws IOException {
        String ref = pull("base");
        Path target = work.resolve("mnt-base");
        mounted.add(target);
        mounts.mount(ref, target, false);
        assertThat(target.resolve("etc/hostname")).hasContent("base");
        assertThat(Files.isWritable(target.resolve("etc"))).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Files.writeString(target.resolve("etc/x"), "x"))
                .isInstanceOf(IOException.class);
        mounts.unmount(target);
        assertThat(target.resolve("etc")).doesNotExist();
    }

    @Test
    void writableMountKeepsChangesInItsOwnUpper() throws IOException {
        String ref = pull("multi");
        Path target = work.resolve("mnt-rw");
        mounted.add(target);
        mounts.mount(ref, target, true);
        Files.writeString(target.resolve("etc/arch"), "changed\n");
        Files.writeString(target.resolve("etc/new"), "new\n");
        Path lower =
                store.layout().diffDir(store.images().get(ref).orElseThrow().topChainId());
        assertThat(lower.resolve("etc/arch")).hasContent("amd64");
        assertThat(lower.resolve("etc/new")).doesNotExist();
        assertThat(store.layout().mountDir(target).resolve("upper/etc/new")).hasContent("new");
        // Mounted layers are pinned against prune even without an image record.
        store.images().remove(ref);
        assertThat(store.prune()).isEmpty();
        mounts.unmount(target);
        assertThat(store.layout().mountDir(target)).doesNotExist();
        assertThat(store.prune()).hasSize(1);
    }

    @Test
    void bundleRunsUnderRunc() throws IOException {
        String ref = pull("busybox");
        Bundles bundles = new Bundles(store, mounts);
        Path dir = work.resolve("bundle-bb");
        mounted.add(dir.resolve("rootfs"));
        bundles.create(ref, dir);
        String id = "berth-test-" + ProcessHandle.current().pid();
        containers.add(id);

        Proc.Result r = Proc.run(dir, List.of("runc", "run", "--bundle", dir.toString(), id), 60);

        assertThat(r.output()).contains("hello from berth in /");
        assertThat(r.exit()).isZero();
        Proc.run(null, List.of("runc", "delete", "-f", id), 30);
        bundles.remove(dir);
        assertThat(Mounter.linux().isMountPoint(dir.resolve("rootfs"))).isFalse();
    }
}
