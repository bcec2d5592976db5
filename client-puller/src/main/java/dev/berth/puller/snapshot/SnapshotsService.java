package dev.berth.puller.snapshot;

import com.google.protobuf.Empty;
import com.google.protobuf.Timestamp;
import dev.berth.puller.snapshot.api.CleanupRequest;
import dev.berth.puller.snapshot.api.CommitSnapshotRequest;
import dev.berth.puller.snapshot.api.Info;
import dev.berth.puller.snapshot.api.Kind;
import dev.berth.puller.snapshot.api.ListSnapshotsRequest;
import dev.berth.puller.snapshot.api.ListSnapshotsResponse;
import dev.berth.puller.snapshot.api.Mount;
import dev.berth.puller.snapshot.api.MountsRequest;
import dev.berth.puller.snapshot.api.MountsResponse;
import dev.berth.puller.snapshot.api.PrepareSnapshotRequest;
import dev.berth.puller.snapshot.api.PrepareSnapshotResponse;
import dev.berth.puller.snapshot.api.RemoveSnapshotRequest;
import dev.berth.puller.snapshot.api.SnapshotsGrpc;
import dev.berth.puller.snapshot.api.StatSnapshotRequest;
import dev.berth.puller.snapshot.api.StatSnapshotResponse;
import dev.berth.puller.snapshot.api.UpdateSnapshotRequest;
import dev.berth.puller.snapshot.api.UpdateSnapshotResponse;
import dev.berth.puller.snapshot.api.UsageRequest;
import dev.berth.puller.snapshot.api.UsageResponse;
import dev.berth.puller.snapshot.api.ViewSnapshotRequest;
import dev.berth.puller.snapshot.api.ViewSnapshotResponse;
import dev.berth.puller.store.SnapshotRecord;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * containerd's {@code containerd.services.snapshots.v1.Snapshots} on a {@link Snapshotter}: translates messages,
 * takes the namespace from the call's {@code containerd-namespace} header and maps refusals to the gRPC codes
 * containerd turns back into its errdefs ({@code NotFound}, {@code AlreadyExists}, ...).
 */
final class SnapshotsService extends SnapshotsGrpc.SnapshotsImplBase {
    private static final Logger LOG = Logger.getLogger(SnapshotsService.class.getName());
    /** Infos per List message, well below gRPC's 4 MiB message limit even with many labels. */
    private static final int LIST_BATCH = 100;

    private final Snapshotter snapshotter;

    SnapshotsService(Snapshotter snapshotter) {
        this.snapshotter = snapshotter;
    }

    @FunctionalInterface
    private interface Call<T> {
        T run(String namespace) throws Exception;
    }

    /** Runs one unary call: its answer, or its refusal as a status. */
    private static <T> void answer(StreamObserver<T> out, Call<T> call) {
        T value = attempt(out, call);
        if (value != null) {
            out.onNext(value);
            out.onCompleted();
        }
    }

    /** The call's result, or null after reporting its failure to {@code out}. */
    private static <T> T attempt(StreamObserver<?> out, Call<T> call) {
        try {
            return call.run(NamespaceInterceptor.NAMESPACE.get());
        } catch (SnapshotException e) {
            out.onError(status(e).withDescription(e.getMessage()).asRuntimeException());
        } catch (Exception e) {
            LOG.log(Level.WARNING, "snapshot call failed", e);
            out.onError(Status.INTERNAL
                    .withDescription(String.valueOf(e.getMessage()))
                    .asRuntimeException());
        }
        return null;
    }

    private static Status status(SnapshotException e) {
        return switch (e.code()) {
            case NOT_FOUND -> Status.NOT_FOUND;
            case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
            case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
        };
    }

    @Override
    public void prepare(PrepareSnapshotRequest req, StreamObserver<PrepareSnapshotResponse> out) {
        answer(
                out,
                ns -> PrepareSnapshotResponse.newBuilder()
                        .addAllMounts(
                                mounts(snapshotter.prepare(ns, req.getKey(), req.getParent(), req.getLabelsMap())))
                        .build());
    }

    @Override
    public void view(ViewSnapshotRequest req, StreamObserver<ViewSnapshotResponse> out) {
        answer(
                out,
                ns -> ViewSnapshotResponse.newBuilder()
                        .addAllMounts(mounts(snapshotter.view(ns, req.getKey(), req.getParent(), req.getLabelsMap())))
                        .build());
    }

    @Override
    public void mounts(MountsRequest req, StreamObserver<MountsResponse> out) {
        answer(
                out,
                ns -> MountsResponse.newBuilder()
                        .addAllMounts(mounts(snapshotter.mounts(ns, req.getKey())))
                        .build());
    }

    @Override
    public void commit(CommitSnapshotRequest req, StreamObserver<Empty> out) {
        answer(out, ns -> {
            snapshotter.commit(ns, req.getName(), req.getKey(), req.getLabelsMap());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void remove(RemoveSnapshotRequest req, StreamObserver<Empty> out) {
        answer(out, ns -> {
            snapshotter.remove(ns, req.getKey());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void stat(StatSnapshotRequest req, StreamObserver<StatSnapshotResponse> out) {
        answer(
                out,
                ns -> StatSnapshotResponse.newBuilder()
                        .setInfo(info(snapshotter.stat(ns, req.getKey())))
                        .build());
    }

    @Override
    public void update(UpdateSnapshotRequest req, StreamObserver<UpdateSnapshotResponse> out) {
        answer(
                out,
                ns -> UpdateSnapshotResponse.newBuilder()
                        .setInfo(info(snapshotter.update(
                                ns,
                                req.getInfo().getName(),
                                req.getInfo().getLabelsMap(),
                                req.getUpdateMask().getPathsList())))
                        .build());
    }

    @Override
    public void list(ListSnapshotsRequest req, StreamObserver<ListSnapshotsResponse> out) {
        List<ListSnapshotsResponse> batches = attempt(out, ns -> {
            Predicate<SnapshotRecord> match = SnapshotFilter.anyOf(req.getFiltersList());
            List<ListSnapshotsResponse> all = new ArrayList<>();
            ListSnapshotsResponse.Builder batch = ListSnapshotsResponse.newBuilder();
            for (SnapshotRecord r : snapshotter.list(ns)) {
                if (match.test(r)) {
                    batch.addInfo(info(r));
                    if (batch.getInfoCount() == LIST_BATCH) {
                        all.add(batch.build());
                        batch = ListSnapshotsResponse.newBuilder();
                    }
                }
            }
            if (batch.getInfoCount() > 0) {
                all.add(batch.build());
            }
            return all;
        });
        if (batches != null) {
            batches.forEach(out::onNext);
            out.onCompleted();
        }
    }

    @Override
    public void usage(UsageRequest req, StreamObserver<UsageResponse> out) {
        answer(out, ns -> {
            Snapshotter.Usage u = snapshotter.usage(ns, req.getKey());
            return UsageResponse.newBuilder()
                    .setSize(u.size())
                    .setInodes(u.inodes())
                    .build();
        });
    }

    @Override
    public void cleanup(CleanupRequest req, StreamObserver<Empty> out) {
        answer(out, ns -> {
            int removed = snapshotter.cleanup();
            if (removed > 0) {
                LOG.info(() -> "cleanup removed " + removed + " orphaned snapshot records and directories");
            }
            return Empty.getDefaultInstance();
        });
    }

    private static List<Mount> mounts(List<SnapshotMount> mounts) {
        return mounts.stream()
                .map(m -> Mount.newBuilder()
                        .setType(m.type())
                        .setSource(m.source())
                        .addAllOptions(m.options())
                        .build())
                .toList();
    }

    private static Info info(SnapshotRecord r) {
        Info.Builder b = Info.newBuilder()
                .setName(r.key())
                .setKind(
                        switch (r.kind()) {
                            case VIEW -> Kind.VIEW;
                            case ACTIVE -> Kind.ACTIVE;
                            case COMMITTED -> Kind.COMMITTED;
                        })
                .setCreatedAt(time(r.created()))
                .setUpdatedAt(time(r.updated()))
                .putAllLabels(r.labels());
        if (r.parent() != null) {
            b.setParent(r.parent());
        }
        return b.build();
    }

    private static Timestamp time(long millis) {
        return Timestamp.newBuilder()
                .setSeconds(Math.floorDiv(millis, 1000))
                .setNanos((int) Math.floorMod(millis, 1000) * 1_000_000)
                .build();
    }
}
