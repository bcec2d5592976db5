package dev.berth.puller.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.oci.ImageReference;
import dev.berth.puller.cri.ImageServiceGrpc;
import dev.berth.puller.cri.ImageSpec;
import dev.berth.puller.cri.PullImageRequest;
import dev.berth.puller.pull.LayerUnpacker;
import dev.berth.puller.pull.PullListener;
import dev.berth.puller.pull.PullOptions;
import dev.berth.puller.pull.Puller;
import dev.berth.puller.registry.CredentialStore;
import dev.berth.puller.registry.Registries;
import dev.berth.puller.registry.TransportOptions;
import dev.berth.puller.store.ChainIds;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.store.ImageRecord;
import dev.berth.puller.store.LayerInfo;
import dev.berth.puller.store.SnapshotRecord;
import dev.berth.puller.store.Store;
import dev.berth.puller.testing.Containerd;
import dev.berth.puller.testing.LayerBuilder;
import dev.berth.puller.testing.OciLayout;
import dev.berth.puller.testing.Proc;
import dev.berth.puller.testing.SnapshotterProcess;
import dev.berth.puller.testing.TestImages;
import dev.berth.puller.testing.TestRegistry;
import dev.berth.puller.testing.TreeSnapshot;
import dev.berth.puller.testing.UnixChannels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Berth's snapshotter under Debian's containerd 1.6, as a proxy plugin: {@code ctr} pulls and runs through it,
 * CRI pulls pre-pulled images without downloading a layer, the root filesystem equals the one of containerd's
 * own overlayfs snapshotter, and {@code ctr snapshot} sees what the store holds. One containerd, one
 * snapshotter process and one registry (Berth's) serve every case; each case works in its own namespace.
 */
class ContainerdSnapshotterIT {
    private static Path work;
    private static TestRegistry registry;
    private static TestImages images;
    private static OciLayout.Layer criBase;
    private static OciLayout.Layer criTop;
    private static Store store;
    private static SnapshotterProcess snapshotter;
    private static Containerd containerd;

    @BeforeAll
    static void start() throws IOException {
        work = Files.createTempDirectory("berth-containerd-it");
        registry = TestRegistry.startBerth(work.resolve("registry"));
        images = TestImages.build(work.resolve("layout"));
        images.pushAll(registry, "test/img");
        // A two-layer busybox image of its own for the kubelet case, so no other case has its layers.
        OciLayout layout = images.layout;
        criBase = OciLayout.Layer.gzip(new LayerBuilder()
                .dir("bin")
                .dir("proc")
                .dir("dev")
                .dir("sys")
                .dir("etc")
                .dir("tmp", 01777, 0, 0)
                .file("bin/busybox", Files.readAllBytes(Path.of("/bin/busybox")), 0755, 0, 0)
                .symlink("bin/sh", "busybox")
                .symlink("bin/cat", "busybox")
                .tar());
        criTop = OciLayout.Layer.gzip(new LayerBuilder()
                .dir("etc")
                .file("etc/greeting", "hello kubelet\n")
                .tar());
        layout.tag(
                "cri",
                layout.image(List.of(criBase, criTop), TestImages.AMD64, List.of("/bin/cat", "/etc/greeting"), null));
        registry.push(layout.dir(), "cri", "test/cri:1");
        // And one CRI pulls without Berth having it: the snapshotter pulls it itself.
        layout.tag(
                "fresh",
                layout.image(
                        List.of(OciLayout.Layer.gzip(new LayerBuilder()
                                .dir("bin")
                                .dir("proc")
                                .dir("dev")
                                .dir("sys")
                                .dir("etc")
                                .file("bin/busybox", Files.readAllBytes(Path.of("/bin/busybox")), 0755, 0, 0)
                                .symlink("bin/cat", "busybox")
                                .file("etc/fresh", "pulled by berth\n")
                                .tar())),
                        TestImages.AMD64,
                        List.of("/bin/cat", "/etc/fresh"),
                        null));
        registry.push(layout.dir(), "fresh", "test/fresh:1");
        // And one for the race, with layers no other case has.
        byte[] noise = new byte[2 * 1024 * 1024];
        new java.util.Random(7).nextBytes(noise);
        layout.tag(
                "race",
                layout.image(
                        List.of(
                                OciLayout.Layer.gzip(new LayerBuilder()
                                        .dir("data")
                                        .file("data/noise", noise, 0644, 0, 0)
                                        .tar()),
                                OciLayout.Layer.gzip(new LayerBuilder()
                                        .dir("etc")
                                        .file("etc/race", "race\n")
                                        .tar())),
                        TestImages.AMD64,
                        null,
                        null));
        registry.push(layout.dir(), "race", "test/race:1");
        // And one whose layer takes containerd a while to apply, to kill the snapshotter in the middle.
        byte[] heavy = new byte[16 * 1024 * 1024];
        new java.util.Random(11).nextBytes(heavy);
        layout.tag(
                "heavy",
                layout.image(
                        List.of(OciLayout.Layer.gzip(new LayerBuilder()
                                .dir("data")
                                .file("data/heavy", heavy, 0644, 0, 0)
                                .tar())),
                        TestImages.AMD64,
                        null,
                        null));
        registry.push(layout.dir(), "heavy", "test/heavy:1");

        Path root = work.resolve("berth");
        store = Store.open(root);
        snapshotter = new SnapshotterProcess(
                        root, work.resolve("run/snapshotter.sock"), work.resolve("snapshotter.log"))
                .start();
        containerd = Containerd.start(work.resolve("containerd"), snapshotter.socket(), registry.host());
    }

    @AfterAll
    static void stop() throws Exception {
        if (containerd != null) {
            containerd.close();
        }
        if (snapshotter != null) {
            snapshotter.close();
        }
        if (registry != null) {
            registry.close();
        }
        // containerd's own overlayfs snapshots and task state may still be mounted under its root.
        Proc.run(
                null,
                List.of("sh", "-c", "grep -o ' " + work + "[^ ]*' /proc/mounts | sort -r | xargs -r umount -l"),
                30);
        FsUtil.deleteTree(work);
    }

    /** berth-pull's pipeline into the snapshotter's store, as the CLI or the agent runs it. */
    private static Puller berthPuller() {
        return new Puller(
                store,
                new Registries(TransportOptions.defaults().withPlainHttp(true), CredentialStore.anonymous()),
                LayerUnpacker.unionFs(),
                PullOptions.defaults().withPlatform(TestImages.AMD64));
    }

    private static String ref(String repoAndTag) {
        return registry.host() + "/" + repoAndTag;
    }

    @Test
    void ctrPullsAndRunsABusyboxThroughBerth() throws IOException {
        String ref = ref("test/img:busybox");
        containerd.ctrOk("ctr", "image", "pull", "--plain-http", "--snapshotter", "berth", ref);
        String out = containerd.ctrOk(
                "ctr",
                "run",
                "--rm",
                "--snapshotter",
                "berth",
                ref,
                "bb-" + ProcessHandle.current().pid());
        assertThat(out).contains("hello from berth in /");

        // containerd applied the layer into an active snapshot; its commit made it a layer of Berth's store.
        List<SnapshotRecord> committed = records("ctr").stream()
                .filter(r -> r.kind() == SnapshotRecord.Kind.COMMITTED)
                .toList();
        assertThat(committed).singleElement().satisfies(r -> {
            assertThat(r.layer()).isNotNull();
            assertThat(store.layout().diffDir(r.layer()).resolve("bin/busybox")).isRegularFile();
        });
        // The container's active snapshot goes with --rm, when containerd's garbage collector gets to it.
        Awaitility.await("container snapshot removed")
                .atMost(Duration.ofSeconds(60))
                .until(() -> records("ctr").size() == 1);
    }

    @Test
    void rootFilesystemEqualsContainerdsOverlayfs() throws IOException {
        String ref = ref("test/img:app-gz");
        containerd.ctrOk("cmp", "image", "pull", "--plain-http", "--snapshotter", "berth", ref);
        containerd.ctrOk("cmp", "image", "pull", "--plain-http", "--snapshotter", "overlayfs", ref);
        Path ours = work.resolve("mnt-berth");
        Path theirs = work.resolve("mnt-overlayfs");
        Files.createDirectories(ours);
        Files.createDirectories(theirs);
        containerd.ctrOk("cmp", "image", "mount", "--snapshotter", "berth", ref, ours.toString());
        try {
            containerd.ctrOk("cmp", "image", "mount", "--snapshotter", "overlayfs", ref, theirs.toString());
            try {
                assertThat(find(ours)).isEqualTo(find(theirs)).contains("tmp d 1777 0:0", "opt/gone d 711 0:0");
                Map<String, TreeSnapshot.Entry> a = TreeSnapshot.of(ours);
                Map<String, TreeSnapshot.Entry> b = TreeSnapshot.of(theirs);
                assertThat(a).isEqualTo(b);
                // The cases that matter are in there: whiteouts, an opaque directory, hardlinks, special modes.
                assertThat(a)
                        .doesNotContainKeys("/etc/deleteme", "/opt/gone/a", "/var/lib/data", "/usr/bin/sgid")
                        .containsKeys("/opt/gone/c", "/etc/motd", "/usr/bin/app-alias");
                assertThat(a.get("/tmp").mode()).isEqualTo("1777");
                assertThat(a.get("/bin/tool").link()).isEqualTo("../usr/bin/app");
            } finally {
                containerd.ctrOk("cmp", "image", "unmount", "--rm", theirs.toString());
            }
        } finally {
            containerd.ctrOk("cmp", "image", "unmount", "--rm", ours.toString());
        }
        // Berth's side of the image is three layers of its store, stacked through their short links.
        List<Digest> chain =
                ChainIds.of(List.of(images.baseLayer.diffId(), images.changeLayer.diffId(), images.zstdLayer.diffId()));
        assertThat(chain).allMatch(store.layers()::exists);
    }

    /** path, type, mode, owner, link count, size and symlink target of every entry, as find prints them. */
    private static String find(Path root) throws IOException {
        String listing =
                Proc.check(List.of("find", root.toString(), "-mindepth", "1", "-printf", "%P %y %m %U:%G %n %s %l\\n"));
        String hashes = Proc.run(
                        root, List.of("sh", "-c", "find . -type f -print0 | sort -z | xargs -0 -r sha256sum"), 60)
                .output();
        // Directory sizes depend on the filesystem below, not on the image.
        return Stream.of(listing.split("\n"))
                        .map(l -> l.matches("\\S+ d .*") ? l.replaceFirst("^(\\S+ d \\S+ \\S+ \\S+) \\d+", "$1 -") : l)
                        .sorted()
                        .collect(Collectors.joining("\n"))
                + "\n" + hashes;
    }

    @Test
    void prePulledImageIsPulledByCriWithoutALayerDownload() throws Exception {
        String ref = ref("test/cri:1");
        berthPuller().pull(ImageReference.parse(ref), PullListener.NONE);
        ImageRecord record =
                store.images().get(ImageReference.parse(ref).toString()).orElseThrow();
        Set<Digest> layersBefore = chainIds(store.layers().list());
        long logBefore = Files.size(registry.log());

        // The kubelet's call: CRI ImageService.PullImage on containerd's socket.
        try (UnixChannels channels = new UnixChannels(containerd.socket())) {
            String imageRef = ImageServiceGrpc.newBlockingStub(channels.channel())
                    .pullImage(PullImageRequest.newBuilder()
                            .setImage(ImageSpec.newBuilder().setImage(ref))
                            .build())
                    .getImageRef();
            assertThat(imageRef).startsWith("sha256:");
        } catch (RuntimeException e) {
            throw new AssertionError("CRI pull failed; containerd log:\n" + tail(containerd.log()), e);
        }

        String requests = Files.readString(registry.log()).substring((int) logBefore);
        for (ImageRecord.Layer l : record.layers()) {
            assertThat(requests).doesNotContain("path=/v2/test/cri/blobs/" + l.digest());
        }
        assertThat(chainIds(store.layers().list())).isEqualTo(layersBefore);
        // containerd's k8s.io namespace now has the two layers as committed snapshots, backed by the store.
        assertThat(records("k8s.io"))
                .extracting(SnapshotRecord::layer)
                .containsExactlyInAnyOrderElementsOf(record.chainIds());

        String out = containerd.ctrOk(
                "k8s.io",
                "run",
                "--rm",
                "--snapshotter",
                "berth",
                ref,
                "cri-" + ProcessHandle.current().pid());
        assertThat(out).contains("hello kubelet");
        // A layer a Berth image record uses survives containerd removing the image and its snapshots.
        containerd.ctrOk("k8s.io", "image", "rm", "--sync", ref);
        assertThat(store.layers().exists(record.topChainId())).isTrue();
    }

    @Test
    void criPullOfAnImageBerthLacksIsPulledByBerth() throws Exception {
        String ref = ref("test/fresh:1");
        long logBefore = Files.size(registry.log());
        try (UnixChannels channels = new UnixChannels(containerd.socket())) {
            ImageServiceGrpc.newBlockingStub(channels.channel())
                    .pullImage(PullImageRequest.newBuilder()
                            .setImage(ImageSpec.newBuilder().setImage(ref))
                            .build());
        }
        // The layer blob was fetched once, by Berth's puller (cri.image-ref label), not by containerd.
        List<String> layerGets = Files.readString(registry.log())
                .substring((int) logBefore)
                .lines()
                .filter(l -> l.contains("method=GET path=/v2/test/fresh/blobs/"))
                .toList();
        ImageRecord record =
                store.images().get(ImageReference.parse(ref).toString()).orElseThrow();
        String layerBlob = "path=/v2/test/fresh/blobs/" + record.layers().get(0).digest();
        assertThat(layerGets)
                .filteredOn(l -> l.contains(layerBlob))
                .singleElement()
                .satisfies(l -> assertThat(l).contains("user_agent=berth-pull/"));
        assertThat(records("k8s.io")).extracting(SnapshotRecord::layer).contains(record.topChainId());
        assertThat(containerd.ctrOk(
                        "k8s.io",
                        "run",
                        "--rm",
                        "--snapshotter",
                        "berth",
                        ref,
                        "fresh-" + ProcessHandle.current().pid()))
                .contains("pulled by berth");
    }

    @Test
    void ctrSnapshotCommandsAgreeWithTheStore() throws IOException {
        String ns = "snap";
        String ref = ref("test/img:base");
        containerd.ctrOk(ns, "image", "pull", "--plain-http", "--snapshotter", "berth", ref);
        Digest base = images.baseLayer.diffId();
        containerd.ctrOk(ns, "snapshot", "--snapshotter", "berth", "prepare", "scratch", base.toString());

        // ls: containerd's names are the store's keys without containerd's "<namespace>/<n>/" prefix.
        Map<String, String> listed = containerd
                .ctrOk(ns, "snapshot", "--snapshotter", "berth", "ls")
                .lines()
                .skip(1)
                .map(l -> l.trim().split("\\s+"))
                .collect(Collectors.toMap(c -> c[0], c -> c[c.length - 1]));
        Map<String, String> stored = records(ns).stream()
                .collect(Collectors.toMap(
                        r -> name(r.key()),
                        r -> r.kind().name().charAt(0)
                                + r.kind().name().substring(1).toLowerCase()));
        assertThat(listed)
                .isEqualTo(stored)
                .containsEntry("scratch", "Active")
                .containsEntry(base.toString(), "Committed");

        // label: containerd hands labels under containerd.io/snapshot/ to the snapshotter.
        containerd.ctrOk(
                ns, "snapshot", "--snapshotter", "berth", "label", "scratch", "containerd.io/snapshot/owner=berth-it");
        SnapshotRecord scratch = record(ns, "scratch");
        assertThat(scratch.labels()).containsEntry("containerd.io/snapshot/owner", "berth-it");
        assertThat(containerd.ctrOk(ns, "snapshot", "--snapshotter", "berth", "info", "scratch"))
                .contains("containerd.io/snapshot/owner")
                .contains("berth-it")
                .contains("Active");

        // usage: the active snapshot's own files, hard links once.
        Path fs = store.snapshots().fsDir(scratch.dir());
        Files.writeString(fs.resolve("one"), "1");
        Files.createLink(fs.resolve("two"), fs.resolve("one"));
        String usage = containerd.ctrOk(ns, "snapshot", "--snapshotter", "berth", "usage", "scratch");
        String inodes = Proc.check(List.of("sh", "-c", "find " + fs + " -printf '%i\\n' | sort -u | wc -l"))
                .trim();
        String[] row = usage.lines().skip(1).findFirst().orElseThrow().trim().split("\\s+");
        assertThat(row[0]).isEqualTo("scratch");
        assertThat(row[row.length - 1]).isEqualTo(inodes);

        // rm: record and directory go; the layer below stays (the image uses it).
        // rm: containerd forgets it at once and has its garbage collector remove it from the snapshotter.
        containerd.ctrOk(ns, "snapshot", "--snapshotter", "berth", "rm", "scratch");
        Awaitility.await("scratch removed from the store")
                .atMost(Duration.ofSeconds(60))
                .until(() -> records(ns).stream().noneMatch(r -> name(r.key()).equals("scratch")));
        assertThat(fs.getParent()).doesNotExist();
        assertThat(store.layers().exists(base)).isTrue();
    }

    /**
     * The records of a containerd namespace. containerd 1.6 calls its proxy snapshotters without a namespace
     * header, prefixing keys with the namespace instead, so they are found by key.
     */
    private static List<SnapshotRecord> records(String ns) throws IOException {
        return store.snapshots().listAll().stream()
                .filter(r -> r.key().startsWith(ns + "/"))
                .toList();
    }

    @Test
    void killedMidPullTheSnapshotterRestartsAndLeavesNothingBehind() throws Exception {
        String ns = "crash";
        String ref = ref("test/heavy:1");
        Process pull = new ProcessBuilder(
                        "ctr",
                        "-a",
                        containerd.socket().toString(),
                        "-n",
                        ns,
                        "image",
                        "pull",
                        "--plain-http",
                        "--snapshotter",
                        "berth",
                        ref)
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("crash-pull.log").toFile())
                .start();
        // containerd is applying the layer into an active snapshot: SIGKILL now.
        Awaitility.await("unpacking started")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(5))
                .until(() ->
                        records(ns).stream().anyMatch(r -> r.kind() == SnapshotRecord.Kind.ACTIVE) || !pull.isAlive());
        snapshotter.kill();
        pull.waitFor();
        assertThat(pull.exitValue())
                .as("the pull was cut short: %s", Files.readString(work.resolve("crash-pull.log")))
                .isNotZero();

        snapshotter.start();
        // containerd reconnects to the proxy plugin with its own backoff (at most 3 s between attempts); a
        // prepare reaches the snapshotter itself (ls would be answered from containerd's own database).
        int[] probe = {0};
        Awaitility.await("containerd reconnected")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> containerd
                                .ctr(ns, "snapshot", "--snapshotter", "berth", "prepare", "probe-" + ++probe[0], "")
                                .exit()
                        == 0);
        containerd.ctrOk(ns, "snapshot", "--snapshotter", "berth", "rm", "probe-" + probe[0]);
        containerd.ctrOk(ns, "image", "pull", "--plain-http", "--snapshotter", "berth", ref);
        assertThat(records(ns))
                .filteredOn(r -> r.kind() == SnapshotRecord.Kind.COMMITTED)
                .singleElement()
                .satisfies(r -> assertThat(store.layout().diffDir(r.layer()).resolve("data/heavy"))
                        .hasSize(16 << 20));

        try (UnixChannels channels = new UnixChannels(snapshotter.socket())) {
            dev.berth.puller.snapshot.api.SnapshotsGrpc.newBlockingStub(channels.channel())
                    .cleanup(dev.berth.puller.snapshot.api.CleanupRequest.getDefaultInstance());
        }
        assertNothingOrphaned();
        // And the snapshotter holds nothing in this namespace that containerd does not know of, once containerd's
        // garbage collection (scheduled by the deletions above) has removed what a probe prepared while the
        // reconnecting containerd lost the answer.
        Awaitility.await("containerd's view and the store agree")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    Set<String> known = containerd
                            .ctrOk(ns, "snapshot", "--snapshotter", "berth", "ls")
                            .lines()
                            .skip(1)
                            .map(l -> l.trim().split("\\s+")[0])
                            .collect(Collectors.toSet());
                    assertThat(records(ns)).extracting(r -> name(r.key())).isSubsetOf(known);
                });
    }

    @Test
    void containerdAndABerthPullOfTheSameLayersEndWithOneCopy() throws Exception {
        String ref = ref("test/race:1");
        Puller puller = berthPuller();
        var berth = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                puller.pull(ImageReference.parse(ref), PullListener.NONE);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        containerd.ctrOk("race", "image", "pull", "--plain-http", "--snapshotter", "berth", ref);
        berth.get(120, java.util.concurrent.TimeUnit.SECONDS);

        ImageRecord record =
                store.images().get(ImageReference.parse(ref).toString()).orElseThrow();
        // Each of the image's layers is one directory of the store, whoever committed it first, and
        // containerd's committed snapshots are those very layers.
        assertThat(record.chainIds()).allMatch(store.layers()::exists);
        assertThat(records("race"))
                .filteredOn(r -> r.kind() == SnapshotRecord.Kind.COMMITTED)
                .extracting(SnapshotRecord::layer)
                .containsExactlyInAnyOrderElementsOf(record.chainIds());
        assertThat(records("race")).allMatch(r -> r.dir() == null);
        assertNothingOrphaned();
    }

    /** Every snapshot directory has its record and the other way round; no ingest or dangling link is left. */
    private static void assertNothingOrphaned() throws IOException {
        Set<String> named = store.snapshots().listAll().stream()
                .map(SnapshotRecord::dir)
                .filter(java.util.Objects::nonNull)
                .collect(Collectors.toSet());
        try (Stream<Path> dirs = Files.list(store.layout().snapshotDirsDir())) {
            assertThat(dirs.map(d -> d.getFileName().toString())).containsExactlyInAnyOrderElementsOf(named);
        }
        for (SnapshotRecord r : store.snapshots().listAll()) {
            if (r.layer() != null) {
                assertThat(store.layers().exists(r.layer())).as(r.key()).isTrue();
            }
        }
        try (Stream<Path> layers = Files.list(store.layout().layersDir())) {
            assertThat(layers.map(d -> d.getFileName().toString())).noneMatch(n -> n.startsWith(".tmp-"));
        }
        try (Stream<Path> links = Files.list(store.layout().shortLinksDir())) {
            assertThat(links).allMatch(Files::isDirectory);
        }
    }

    private static SnapshotRecord record(String ns, String name) throws IOException {
        return records(ns).stream()
                .filter(r -> name(r.key()).equals(name))
                .findFirst()
                .orElseThrow();
    }

    /** containerd's name of a snapshot from the key its metadata layer gave the snapshotter. */
    private static String name(String backendKey) {
        String[] parts = backendKey.split("/", 3);
        return parts.length == 3 ? parts[2] : backendKey;
    }

    private static Set<Digest> chainIds(List<LayerInfo> layers) {
        return layers.stream().map(LayerInfo::chainId).collect(Collectors.toSet());
    }

    private static String tail(String log) {
        return log.length() > 6000 ? log.substring(log.length() - 6000) : log;
    }
}
