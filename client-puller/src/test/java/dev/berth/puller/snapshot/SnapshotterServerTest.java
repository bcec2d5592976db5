package dev.berth.puller.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.FieldMask;
import dev.berth.oci.Digest;
import dev.berth.oci.MediaTypes;
import dev.berth.puller.snapshot.api.CleanupRequest;
import dev.berth.puller.snapshot.api.CommitSnapshotRequest;
import dev.berth.puller.snapshot.api.Info;
import dev.berth.puller.snapshot.api.Kind;
import dev.berth.puller.snapshot.api.ListSnapshotsRequest;
import dev.berth.puller.snapshot.api.Mount;
import dev.berth.puller.snapshot.api.MountsRequest;
import dev.berth.puller.snapshot.api.PrepareSnapshotRequest;
import dev.berth.puller.snapshot.api.RemoveSnapshotRequest;
import dev.berth.puller.snapshot.api.SnapshotsGrpc;
import dev.berth.puller.snapshot.api.SnapshotsGrpc.SnapshotsBlockingStub;
import dev.berth.puller.snapshot.api.StatSnapshotRequest;
import dev.berth.puller.snapshot.api.UpdateSnapshotRequest;
import dev.berth.puller.snapshot.api.UsageRequest;
import dev.berth.puller.snapshot.api.UsageResponse;
import dev.berth.puller.snapshot.api.ViewSnapshotRequest;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.store.ImageRecord;
import dev.berth.puller.store.LayerInfo;
import dev.berth.puller.store.LayerIngest;
import dev.berth.puller.store.Store;
import dev.berth.puller.testing.UnixChannels;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The snapshots API over its unix socket, as containerd's proxy client calls it (keys as containerd's metadata
 * layer makes them: {@code <namespace>/<n>/<name>}), against a real store on disk.
 */
class SnapshotterServerTest {
    private Path work;
    private Store store;
    private SnapshotterServer server;
    private UnixChannels channels;
    private SnapshotsBlockingStub snapshots;

    @BeforeEach
    void start() throws IOException {
        work = Files.createTempDirectory("berth-snapshotter-test");
        store = Store.open(work.resolve("root"));
        server = SnapshotterServer.start(store, work.resolve("run/snapshotter.sock"));
        channels = new UnixChannels(server.socket());
        snapshots = in("default");
    }

    @AfterEach
    void stop() throws Exception {
        channels.close();
        server.close();
        FsUtil.deleteTree(work);
    }

    private SnapshotsBlockingStub in(String namespace) {
        return SnapshotsGrpc.newBlockingStub(channels.channel()).withInterceptors(UnixChannels.namespace(namespace));
    }

    @Test
    void unpackedLayersBecomeStoreLayersAndStackAsOverlay() throws IOException {
        Digest base = Digest.sha256("base layer".getBytes(StandardCharsets.UTF_8));
        Digest top = Digest.sha256("top chain".getBytes(StandardCharsets.UTF_8));

        // containerd unpacks a base layer: an active snapshot on nothing is a writable bind mount.
        List<Mount> m = snapshots
                .prepare(prepare("default/1/extract-1 " + base, "", Map.of()))
                .getMountsList();
        assertThat(m).hasSize(1);
        assertThat(m.get(0).getType()).isEqualTo("bind");
        assertThat(m.get(0).getOptionsList()).containsExactly("rw", "rbind");
        Path fs = Path.of(m.get(0).getSource());
        Files.writeString(fs.resolve("hello"), "base\n");
        snapshots.commit(CommitSnapshotRequest.newBuilder()
                .setName("default/2/" + base)
                .setKey("default/1/extract-1 " + base)
                .build());

        // The committed snapshot is a store layer, found by berth-pull under its ChainID.
        assertThat(store.layers().exists(base)).isTrue();
        assertThat(store.layout().diffDir(base).resolve("hello")).hasContent("base");
        assertThat(fs).doesNotExist();
        Info info = snapshots.stat(stat("default/2/" + base)).getInfo();
        assertThat(info.getKind()).isEqualTo(Kind.COMMITTED);
        assertThat(info.getParent()).isEmpty();
        assertThatThrownBy(() -> snapshots.stat(stat("default/1/extract-1 " + base)))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));

        // A view of one layer is a read-only bind mount of its directory.
        m = snapshots
                .view(ViewSnapshotRequest.newBuilder()
                        .setKey("default/9/one")
                        .setParent("default/2/" + base)
                        .build())
                .getMountsList();
        assertThat(m).singleElement().satisfies(one -> {
            assertThat(one.getType()).isEqualTo("bind");
            assertThat(Path.of(one.getSource()))
                    .isEqualTo(store.layout().diffDir(base).toRealPath());
            assertThat(one.getOptionsList()).containsExactly("ro", "rbind");
        });
        snapshots.remove(remove("default/9/one"));

        // The next layer: an overlay whose lower dir is the base layer's short link.
        m = snapshots
                .prepare(prepare("default/3/extract-2 " + top, "default/2/" + base, Map.of()))
                .getMountsList();
        assertThat(m.get(0).getType()).isEqualTo("overlay");
        Path link = store.layout().shortLink(store.layers().readLink(base));
        assertThat(m.get(0).getOptionsList()).hasSize(3).startsWith("lowerdir=" + link);
        Path upper = Path.of(option(m.get(0), "upperdir"));
        assertThat(Path.of(option(m.get(0), "workdir"))).isDirectory();
        Files.writeString(upper.resolve("top"), "top\n");
        snapshots.commit(CommitSnapshotRequest.newBuilder()
                .setName("default/4/" + top)
                .setKey("default/3/extract-2 " + top)
                .build());
        LayerInfo topInfo = store.layers().info(top).orElseThrow();
        assertThat(topInfo.parent()).isEqualTo(base);
        assertThat(store.layers().lowerDirs(top)).hasSize(2);

        // A container's view: overlay of both layers, read-only.
        m = snapshots
                .view(ViewSnapshotRequest.newBuilder()
                        .setKey("default/5/ctr-view")
                        .setParent("default/4/" + top)
                        .build())
                .getMountsList();
        assertThat(m.get(0).getOptionsList())
                .containsExactly("lowerdir="
                        + String.join(
                                ":",
                                store.layers().lowerDirs(top).stream()
                                        .map(Path::toString)
                                        .toList()));
        assertThat(snapshots
                        .mounts(MountsRequest.newBuilder()
                                .setKey("default/5/ctr-view")
                                .build())
                        .getMountsList())
                .isEqualTo(m);

        // Layers that containerd snapshots use survive prune; a parent with children cannot be removed.
        assertThat(store.prune()).isEmpty();
        assertThatThrownBy(() -> snapshots.remove(remove("default/4/" + top)))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.FAILED_PRECONDITION));
        snapshots.remove(remove("default/5/ctr-view"));
        snapshots.remove(remove("default/4/" + top));
        snapshots.remove(remove("default/2/" + base));
        // No image record used them: they go with their last snapshot.
        assertThat(store.layers().list()).isEmpty();
        assertThat(snapshots.list(ListSnapshotsRequest.getDefaultInstance()))
                .toIterable()
                .isEmpty();
    }

    @Test
    void aSnapshotRefTheStoreHoldsIsARemoteSnapshot() throws IOException {
        Digest base = layer(null, "pre-pulled base");
        Digest top = layer(base, "pre-pulled top");
        store.images().put(image("reg/app:1", base, top));

        StatusRuntimeException e = prepareFails(
                "k8s.io/1/extract-1 " + base,
                "",
                Map.of(Snapshotter.REF_LABEL, base.toString(), "containerd.io/snapshot/cri.image-ref", "reg/app:1"));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);

        // containerd's metadata layer then looks for a committed snapshot with that label and parent.
        // (containerd 1.6's own filter, parent included)
        String filter = "labels.\"containerd.io/snapshot.ref\"==" + base + ",parent==\"\"";
        List<Info> found = list(in("k8s.io"), filter);
        assertThat(found).singleElement().satisfies(i -> {
            assertThat(i.getKind()).isEqualTo(Kind.COMMITTED);
            assertThat(i.getName()).isEqualTo("k8s.io/1/extract-1 " + base);
            assertThat(i.getParent()).isEmpty();
        });
        e = prepareFails(
                "k8s.io/2/extract-2 " + top, found.get(0).getName(), Map.of(Snapshotter.REF_LABEL, top.toString()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
        assertThat(list(in("k8s.io"), "labels.\"containerd.io/snapshot.ref\"==" + top))
                .singleElement()
                .satisfies(i -> assertThat(i.getParent()).isEqualTo(found.get(0).getName()));
        // Only in that namespace.
        assertThat(list(in("default"), filter)).isEmpty();
        // The agent's eviction leaves layers under containerd snapshots alone, whatever the budget.
        assertThat(store.evict(0, List.of())).isEmpty();
        assertThat(store.images().get("reg/app:1")).isPresent();

        // A ref whose layer sits on another parent is not taken: an ordinary active snapshot instead.
        Digest other = layer(null, "another base");
        List<Mount> m = in("k8s.io")
                .prepare(prepare("k8s.io/3/extract-3 " + top, "", Map.of(Snapshotter.REF_LABEL, top.toString())))
                .getMountsList();
        assertThat(m.get(0).getType()).isEqualTo("bind");
        in("k8s.io").remove(remove("k8s.io/3/extract-3 " + top));

        // The image record keeps the layers when containerd removes its snapshots; prune then respects both.
        in("k8s.io").remove(remove("k8s.io/2/extract-2 " + top));
        in("k8s.io").remove(remove("k8s.io/1/extract-1 " + base));
        assertThat(store.layers().exists(top)).isTrue();
        assertThat(store.layers().exists(base)).isTrue();
        assertThat(store.prune()).extracting(LayerInfo::chainId).containsExactly(other);
    }

    @Test
    void namespacesAreSeparate() {
        in("a").prepare(prepare("key", "", Map.of()));
        in("b").prepare(prepare("key", "", Map.of()));
        assertThatThrownBy(() -> in("a").prepare(prepare("key", "", Map.of())))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.ALREADY_EXISTS));
        in("a").remove(remove("key"));
        assertThat(in("b").stat(stat("key")).getInfo().getKind()).isEqualTo(Kind.ACTIVE);
        // containerd sends the header on some paths only; its keys carry their namespace, which decides.
        SnapshotsBlockingStub none = SnapshotsGrpc.newBlockingStub(channels.channel());
        none.prepare(prepare("k8s.io/1/key", "", Map.of()));
        assertThat(in("k8s.io").stat(stat("k8s.io/1/key")).getInfo().getKind()).isEqualTo(Kind.ACTIVE);
        assertThat(list(in("k8s.io"), "name==k8s.io/1/key")).hasSize(1);
        assertThat(list(in("default"), "name==k8s.io/1/key")).isEmpty();
        // Without a header, List is containerd's own (its garbage collector): every namespace.
        assertThat(list(none, "kind==active"))
                .extracting(Info::getName)
                .containsExactlyInAnyOrder("key", "k8s.io/1/key");
        none.prepare(prepare("plain", "", Map.of()));
        assertThat(in("default").stat(stat("plain")).getInfo().getKind()).isEqualTo(Kind.ACTIVE);
        assertThatThrownBy(() -> in("../escape").stat(stat("key")))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }

    @Test
    void labelsAreUpdatedByFieldPath() {
        snapshots.prepare(prepare("k", "", Map.of("a", "1", "b", "2")));
        Info in = Info.newBuilder()
                .setName("k")
                .putLabels("b", "20")
                .putLabels("c", "3")
                .build();
        Info out = snapshots
                .update(UpdateSnapshotRequest.newBuilder()
                        .setInfo(in)
                        .setUpdateMask(
                                FieldMask.newBuilder().addPaths("labels.b").addPaths("labels.a"))
                        .build())
                .getInfo();
        assertThat(out.getLabelsMap()).isEqualTo(Map.of("b", "20"));
        out = snapshots
                .update(UpdateSnapshotRequest.newBuilder()
                        .setInfo(in)
                        .setUpdateMask(FieldMask.newBuilder().addPaths("labels"))
                        .build())
                .getInfo();
        assertThat(out.getLabelsMap()).isEqualTo(Map.of("b", "20", "c", "3"));
        assertThat(snapshots.stat(stat("k")).getInfo().getLabelsMap()).isEqualTo(Map.of("b", "20", "c", "3"));
        assertThatThrownBy(() -> snapshots.update(UpdateSnapshotRequest.newBuilder()
                        .setInfo(in)
                        .setUpdateMask(FieldMask.newBuilder().addPaths("parent"))
                        .build()))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT));
        assertThat(list(snapshots, "labels.c")).hasSize(1);
        assertThat(list(snapshots, "labels.c,kind==committed")).isEmpty();
        assertThat(list(snapshots, "kind==active,name==k")).hasSize(1);
    }

    @Test
    void usageCountsBytesAndInodesOnceForHardlinks() throws IOException {
        Path fs = Path.of(
                snapshots.prepare(prepare("u", "", Map.of())).getMounts(0).getSource());
        Files.createDirectories(fs.resolve("d"));
        Files.write(fs.resolve("d/f"), new byte[1000]);
        Files.createLink(fs.resolve("d/g"), fs.resolve("d/f"));
        Files.writeString(fs.resolve("s"), "12345");
        UsageResponse u = snapshots.usage(UsageRequest.newBuilder().setKey("u").build());
        assertThat(u.getSize()).isEqualTo(1005);
        assertThat(u.getInodes()).isEqualTo(4); // fs/, d/, f=g, s
    }

    @Test
    void cleanupRemovesWhatACrashLeft() throws IOException {
        snapshots.prepare(prepare("live", "", Map.of()));
        Path fs = Path.of(
                snapshots.prepare(prepare("half", "", Map.of())).getMounts(0).getSource());
        // A crash after a directory was made, before its record; and one after a commit moved a directory.
        Path orphan = store.layout().snapshotDir("orphan");
        Files.createDirectories(orphan.resolve("fs"));
        FsUtil.deleteTree(fs);
        snapshots.cleanup(CleanupRequest.getDefaultInstance());
        assertThat(orphan).doesNotExist();
        assertThatThrownBy(() -> snapshots.stat(stat("half")))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
        assertThat(snapshots.stat(stat("live")).getInfo().getKind()).isEqualTo(Kind.ACTIVE);
        try (Stream<Path> dirs = Files.list(store.layout().snapshotDirsDir())) {
            assertThat(dirs).hasSize(1);
        }
    }

    @Test
    void aCommitCutShortLeavesTheCommittedSnapshotIntact() throws IOException {
        Path fs = Path.of(
                snapshots.prepare(prepare("work", "", Map.of())).getMounts(0).getSource());
        Files.writeString(fs.resolve("kept"), "kept");
        // A crash between writing the committed record and deleting the active one: both name the directory.
        var active = store.snapshots().get("default", "work").orElseThrow();
        store.snapshots()
                .put(new dev.berth.puller.store.SnapshotRecord(
                        "default",
                        "done",
                        dev.berth.puller.store.SnapshotRecord.Kind.COMMITTED,
                        null,
                        Map.of(),
                        0,
                        0,
                        active.dir(),
                        null));
        snapshots.cleanup(CleanupRequest.getDefaultInstance());
        snapshots.remove(remove("work"));
        assertThat(fs.resolve("kept")).hasContent("kept");
        List<Mount> m = snapshots
                .view(ViewSnapshotRequest.newBuilder()
                        .setKey("v")
                        .setParent("done")
                        .build())
                .getMountsList();
        assertThat(Path.of(m.get(0).getSource()).resolve("kept")).hasContent("kept");
    }

    private StatusRuntimeException prepareFails(String key, String parent, Map<String, String> labels) {
        try {
            in("k8s.io").prepare(prepare(key, parent, labels));
        } catch (StatusRuntimeException e) {
            return e;
        }
        throw new AssertionError("prepare of " + key + " succeeded");
    }

    private static List<Info> list(SnapshotsBlockingStub stub, String filter) {
        List<Info> out = new ArrayList<>();
        stub.list(ListSnapshotsRequest.newBuilder().addFilters(filter).build())
                .forEachRemaining(r -> out.addAll(r.getInfoList()));
        return out;
    }

    /** A layer committed the way the puller commits one. */
    private Digest layer(Digest parent, String content) throws IOException {
        Digest diffId = Digest.sha256(content.getBytes(StandardCharsets.UTF_8));
        Digest chainId =
                parent == null ? diffId : Digest.sha256((parent + " " + diffId).getBytes(StandardCharsets.UTF_8));
        LayerIngest ingest = store.layers().startIngest();
        Files.writeString(ingest.diffDir().resolve("file"), content);
        store.layers()
                .commit(
                        ingest,
                        new LayerInfo(
                                chainId,
                                diffId,
                                parent,
                                diffId,
                                MediaTypes.OCI_LAYER_GZIP,
                                1,
                                content.length(),
                                System.currentTimeMillis()));
        return chainId;
    }

    private static ImageRecord image(String ref, Digest... chainIds) {
        List<ImageRecord.Layer> layers = new ArrayList<>();
        for (Digest c : chainIds) {
            layers.add(new ImageRecord.Layer(c, MediaTypes.OCI_LAYER_GZIP, 1, c, c));
        }
        Digest d = Digest.sha256(ref.getBytes(StandardCharsets.UTF_8));
        return new ImageRecord(ref, d, null, MediaTypes.OCI_MANIFEST, "linux/amd64", d, null, layers, 0);
    }

    private static String option(Mount m, String name) {
        return m.getOptionsList().stream()
                .filter(o -> o.startsWith(name + "="))
                .findFirst()
                .orElseThrow()
                .substring(name.length() + 1);
    }

    private static Status.Code code(Throwable e) {
        return Status.fromThrowable(e).getCode();
    }

    private static PrepareSnapshotRequest prepare(String key, String parent, Map<String, String> labels) {
        return PrepareSnapshotRequest.newBuilder()
                .setKey(key)
                .setParent(parent)
                .putAllLabels(labels)
                .build();
    }

    private static StatSnapshotRequest stat(String key) {
        return StatSnapshotRequest.newBuilder().setKey(key).build();
    }

    private static RemoveSnapshotRequest remove(String key) {
        return RemoveSnapshotRequest.newBuilder().setKey(key).build();
    }
}
