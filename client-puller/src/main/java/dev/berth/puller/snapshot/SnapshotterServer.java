package dev.berth.puller.snapshot;

import dev.berth.puller.store.Store;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The snapshotter as a containerd proxy plugin: containerd's snapshots service over gRPC on a unix socket
 * (Netty's epoll transport), on a Berth store. Run by {@code berth-pull snapshotter} or inside the agent.
 */
public final class SnapshotterServer implements AutoCloseable {
    public static final String DEFAULT_ADDRESS = "/run/berth/snapshotter.sock";
    private static final Logger LOG = Logger.getLogger(SnapshotterServer.class.getName());

    private final Server server;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ExecutorService calls;
    private final Path socket;

    private SnapshotterServer(
            Server server, EventLoopGroup boss, EventLoopGroup workers, ExecutorService calls, Path socket) {
        this.server = server;
        this.boss = boss;
        this.workers = workers;
        this.calls = calls;
        this.socket = socket;
    }

    /** Listens on {@code socket} (replacing a stale socket file) with a socket only root may use. */
    public static SnapshotterServer start(Store store, Path socket) throws IOException {
        return start(store, socket, MissingLayers.NONE);
    }

    /** As {@link #start(Store, Path)}, pulling layers CRI asks for that the store lacks through {@code missing}. */
    public static SnapshotterServer start(Store store, Path socket, MissingLayers missing) throws IOException {
        Path path = socket.toAbsolutePath();
        Files.createDirectories(path.getParent());
        Files.deleteIfExists(path);
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        // Calls touch the disk and wait for the store lock: off the event loops, a few at a time.
        ExecutorService calls = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "snapshotter-call");
            t.setDaemon(true);
            return t;
        });
        SnapshotsService service = new SnapshotsService(new Snapshotter(store, missing));
        Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .executor(calls)
                .addService(ServerInterceptors.intercept(service, new NamespaceInterceptor()))
                .build();
        try {
            server.start();
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            server.shutdownNow();
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            calls.shutdownNow();
            throw e;
        }
        LOG.info(() ->
                "berth snapshotter on " + path + " for store " + store.layout().root());
        return new SnapshotterServer(server, boss, workers, calls, path);
    }

    public Path socket() {
        return socket;
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        calls.shutdownNow();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // A stale socket file is replaced at the next start.
        }
    }
}
