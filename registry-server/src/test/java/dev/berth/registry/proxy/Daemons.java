package dev.berth.registry.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * Private container daemons for the client-convention tests: containerd (own root, state, socket and config,
 * CRI disabled) and dockerd (own data-root, exec-root, pidfile and socket; its own managed containerd), each
 * driven by its CLI over its private socket. Both need root.
 */
final class Daemons {
    private Daemons() {}

    /** A command's exit code and combined output. */
    record Result(int exit, String output) {}

    static Result run(List<String> command, Path log) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        long before = Files.exists(log) ? Files.size(log) : 0;
        Process p = pb.start();
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + command);
        }
        byte[] all = Files.readAllBytes(log);
        return new Result(p.exitValue(), new String(all, (int) before, all.length - (int) before));
    }

    /** A running daemon process; closing stops it. */
    static final class Daemon implements AutoCloseable {
        private final Process process;
        final Path dir;
        final Path socket;

        private Daemon(Process process, Path dir, Path socket) {
            this.process = process;
            this.dir = dir;
            this.socket = socket;
        }

        String log() throws IOException {
            return Files.readString(dir.resolve("daemon.log"));
        }

        /** Runs a CLI command with the daemon's socket; output goes to {@code client.log}. */
        Result cli(String... command) throws IOException, InterruptedException {
            return run(List.of(command), dir.resolve("client.log"));
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    static Daemon containerd(Path dir) throws IOException {
        Files.createDirectories(dir);
        String config = """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
                  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
                  "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.opt",
                  "io.containerd.tracing.processor.v1.otlp"]
                [grpc]
                  address = "%1$s/containerd.sock"
                [ttrpc]
                  address = "%1$s/containerd.sock.ttrpc"
                """.formatted(dir.toAbsolutePath());
        Files.writeString(dir.resolve("config.toml"), config);
        Path socket = dir.resolve("containerd.sock");
        Process p = new ProcessBuilder(
                        "containerd", "--config", dir.resolve("config.toml").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("daemon.log").toFile())
                .start();
        return awaitReady(new Daemon(p, dir, socket), List.of("ctr", "-a", socket.toString(), "version"));
    }

    /** dockerd with {@code registry-mirrors}: Docker Hub pulls go to {@code mirror} first. */
    static Daemon dockerd(Path dir, String mirror) throws IOException {
        Files.createDirectories(dir.resolve("data"));
        Files.createDirectories(dir.resolve("exec"));
        Path socket = dir.resolve("docker.sock");
        Files.writeString(dir.resolve("daemon.json"), "{\"registry-mirrors\": [\"" + mirror + "\"]}\n");
        Process p = new ProcessBuilder(
                        "dockerd",
                        "--config-file",
                        dir.resolve("daemon.json").toString(),
                        "--data-root",
                        dir.resolve("data").toString(),
                        "--exec-root",
                        dir.resolve("exec").toString(),
                        "--pidfile",
                        dir.resolve("docker.pid").toString(),
                        "-H",
                        "unix://" + socket,
                        "--bridge",
                        "none",
                        "--iptables=false",
                        "--ip6tables=false",
                        "--ip-masq=false")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("daemon.log").toFile())
                .start();
        return awaitReady(new Daemon(p, dir, socket), List.of("docker", "-H", "unix://" + socket, "version"));
    }

    private static Daemon awaitReady(Daemon daemon, List<String> probe) throws IOException {
        List<String> command = new ArrayList<>(probe);
        try {
            Awaitility.await("daemon answering on " + daemon.socket)
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        if (!daemon.process.isAlive()) {
                            throw new IOException("daemon exited: " + daemon.log());
                        }
                        return Files.exists(daemon.socket)
                                && run(command, daemon.dir.resolve("probe.log")).exit() == 0;
                    });
        } catch (RuntimeException e) {
            try {
                daemon.close();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            throw e;
        }
        return daemon;
    }
}
