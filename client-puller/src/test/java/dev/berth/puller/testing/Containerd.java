package dev.berth.puller.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * Debian's containerd, started privately: its own root, state, sockets and config, with Berth's snapshotter
 * as the proxy plugin {@code berth} and CRI pulling into it from a plain-HTTP test registry. Driven with
 * {@code ctr -a <socket>}.
 */
public final class Containerd implements AutoCloseable {
    private final Path dir;
    private final Process process;

    private Containerd(Path dir, Process process) {
        this.dir = dir;
        this.process = process;
    }

    /**
     * @param snapshotter the Berth snapshotter's socket
     * @param registry    host:port of a plain-HTTP registry CRI may pull from
     */
    public static Containerd start(Path dir, Path snapshotter, String registry) throws IOException {
        Files.createDirectories(dir.resolve("cni"));
        String cri = "plugins.\"io.containerd.grpc.v1.cri\"";
        String config = """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
                  "io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp"]

                [grpc]
                  address = "%1$s/containerd.sock"
                [ttrpc]
                  address = "%1$s/containerd.sock.ttrpc"

                # Every deletion schedules containerd's garbage collection, which also removes what a snapshotter
                # holds that containerd's metadata does not know (a prepare whose answer was lost in a crash).
                [plugins."io.containerd.gc.v1.scheduler"]
                  deletion_threshold = 1

                [proxy_plugins]
                  [proxy_plugins.berth]
                    type = "snapshot"
                    address = "%2$s"

                [%3$s]
                  disable_tcp_service = true
                  stream_server_address = "127.0.0.1"
                  stream_server_port = "0"
                  [%3$s.containerd]
                    snapshotter = "berth"
                    disable_snapshot_annotations = false
                  [%3$s.cni]
                    bin_dir = "%1$s/cni"
                    conf_dir = "%1$s/cni"
                  [%3$s.registry.mirrors."%4$s"]
                    endpoint = ["http://%4$s"]
                """.formatted(dir.toAbsolutePath(), snapshotter.toAbsolutePath(), cri, registry);
        Path file = dir.resolve("config.toml");
        Files.writeString(file, config);
        Process p = new ProcessBuilder("containerd", "--config", file.toString(), "--log-level", "debug")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("containerd.log").toFile())
                .start();
        Containerd c = new Containerd(dir, p);
        try {
            Awaitility.await("containerd answering on " + c.socket())
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        if (!p.isAlive()) {
                            throw new IOException("containerd exited: " + c.log());
                        }
                        return Files.exists(c.socket())
                                && Proc.run(
                                                        null,
                                                        List.of(
                                                                "ctr",
                                                                "-a",
                                                                c.socket().toString(),
                                                                "version"),
                                                        10)
                                                .exit()
                                        == 0;
                    });
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    public Path socket() {
        return dir.resolve("containerd.sock");
    }

    public String log() throws IOException {
        return Files.readString(dir.resolve("containerd.log"));
    }

    /** {@code ctr -a <socket> -n <namespace> args...}. */
    public Proc.Result ctr(String namespace, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ctr", "-a", socket().toString(), "-n", namespace));
        cmd.addAll(List.of(args));
        return Proc.run(null, cmd, 180);
    }

    /** Like {@link #ctr} and fails with ctr's output unless it exits 0. */
    public String ctrOk(String namespace, String... args) throws IOException {
        Proc.Result r = ctr(namespace, args);
        if (r.exit() != 0) {
            throw new IOException("ctr " + String.join(" ", args) + " failed (" + r.exit() + "):\n" + r.output());
        }
        return r.output();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
