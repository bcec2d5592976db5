package dev.berth.puller.cli;

import dev.berth.oci.ImageReference;
import dev.berth.oci.OciJson;
import dev.berth.puller.agent.AgentConfig;
import dev.berth.puller.agent.NodeAgent;
import dev.berth.puller.mount.Bundles;
import dev.berth.puller.pull.PullResult;
import dev.berth.puller.snapshot.MissingLayers;
import dev.berth.puller.snapshot.SnapshotterServer;
import dev.berth.puller.store.ImageRecord;
import dev.berth.puller.store.LayerInfo;
import dev.berth.puller.store.Store;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code berth-pull}: pull images into an overlay2 layer store, mount them, make runtime bundles. */
@Command(name = "berth-pull", mixinStandardHelpOptions = true, version = "berth-pull 0.1.0",
        description = "Pulls container images into an overlay2-compatible layer store.",
        subcommands = {BerthPull.Pull.class, BerthPull.Images.class, BerthPull.Inspect.class, BerthPull.Rm.class,
                BerthPull.Prune.class, BerthPull.Mount.class, BerthPull.Unmount.class, BerthPull.Bundle.class,
                BerthPull.Agent.class, BerthPull.Snapshotter.class})
public final class BerthPull implements Runnable {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (for main and for in-process tests). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BerthPull());
        // Errors are one line ("error: ..."), not a stack trace; --verbose is for the rest.
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println("error: " + ex.getMessage());
            line.getErr().flush();
            return 1;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        CommonOptions.StoreOptions store;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        void printJson(Object value) {
            out().println(OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(value));
            out().flush();
        }
    }

    @Command(name = "pull", mixinStandardHelpOptions = true, description = "Pull an image (all its layers in parallel) into the store.")
    static final class Pull extends Base {
        @Parameters(paramLabel = "REF")
        String ref;

        @Mixin
        CommonOptions.RegistryOptions registry;

        @Override
        public Integer call() throws Exception {
            Store s = store.open();
            boolean tty = System.console() != null && !store.json;
            PullResult r = registry.puller(s).pull(ImageReference.parse(ref), new ProgressRenderer(out(), !tty));
            return r == null ? 1 : 0;
        }
    }

    @Command(name = "images", mixinStandardHelpOptions = true, description = "List pulled images.")
    static final class Images extends Base {
        @Override
        public Integer call() throws Exception {
            Store s = store.open();
            List<ImageRecord> records = s.images().list();
            if (store.json) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (ImageRecord r : records) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("reference", r.reference());
                    row.put("digest", r.manifestDigest().toString());
                    row.put("id", r.configDigest().toString());
                    row.put("platform", r.platform());
                    row.put("layers", r.layers().size());
                    row.put("size", size(s, r));
                    rows.add(row);
                }
                printJson(rows);
                return 0;
            }
            out().printf("%-50s %-19s %-14s %6s %10s%n", "REFERENCE", "DIGEST", "PLATFORM", "LAYERS", "SIZE");
            for (ImageRecord r : records) {
                out().printf("%-50s %-19s %-14s %6d %9.1fM%n", r.reference(),
                        r.manifestDigest().toString().substring(0, 19), r.platform(), r.layers().size(),
                        size(s, r) / 1048576.0);
            }
            out().flush();
            return 0;
        }

        private static long size(Store s, ImageRecord r) throws java.io.IOException {
            long total = 0;
            for (var id : r.chainIds()) {
                total += s.layers().info(id).map(LayerInfo::diskSize).orElse(0L);
            }
            return total;
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true, description = "Show an image's record: manifest digest, config, layers.")
    static final class Inspect extends Base {
        @Parameters(paramLabel = "REF")
        String ref;

        @Override
        public Integer call() throws Exception {
            printJson(store.find(store.open(), ref));
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove an image record (layers stay until prune).")
    static final class Rm extends Base {
        @Parameters(paramLabel = "REF")
        String ref;

        @Override
        public Integer call() throws Exception {
            Store s = store.open();
            ImageRecord r = store.find(s, ref);
            s.images().remove(r.reference());
            out().println("removed " + r.reference());
            out().flush();
            return 0;
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true, description = "Remove layers that no image and no mount uses.")
    static final class Prune extends Base {
        @Override
        public Integer call() throws Exception {
            List<LayerInfo> removed = store.open().prune();
            long bytes = removed.stream().mapToLong(LayerInfo::diskSize).sum();
            if (store.json) {
                printJson(Map.of("layers", removed.size(), "bytes", bytes));
            } else {
                out().printf("pruned %d layers, %.1f MiB%n", removed.size(), bytes / 1048576.0);
                out().flush();
            }
            return 0;
        }
    }

    @Command(name = "mount", mixinStandardHelpOptions = true, description = "Mount an image's filesystem (overlay) at TARGET.")
    static final class Mount extends Base {
        @Parameters(index = "0", paramLabel = "REF")
        String ref;

        @Parameters(index = "1", paramLabel = "TARGET")
        Path target;

        @Option(names = "--writable", description = "stack a private writable layer on top")
        boolean writable;

        @Override
        public Integer call() throws Exception {
            Store s = store.open();
            ImageRecord r = store.find(s, ref);
            store.mounts(s).mount(r.reference(), target, writable);
            out().println("mounted " + r.reference() + " at " + target.toAbsolutePath() + (writable ? " (writable)" : ""));
            out().flush();
            return 0;
        }
    }

    @Command(name = "unmount", mixinStandardHelpOptions = true, aliases = "umount", description = "Unmount TARGET and drop its writable layer.")
    static final class Unmount extends Base {
        @Parameters(paramLabel = "TARGET")
        Path target;

        @Override
        public Integer call() throws Exception {
            store.mounts(store.open()).unmount(target);
            out().println("unmounted " + target.toAbsolutePath());
            out().flush();
            return 0;
        }
    }

    @Command(name = "bundle", mixinStandardHelpOptions = true, description = "Create an OCI runtime bundle (config.json + overlay rootfs) in DIR.")
    static final class Bundle extends Base {
        @Parameters(index = "0", paramLabel = "REF")
        String ref;

        @Parameters(index = "1", paramLabel = "DIR")
        Path dir;

        @Override
        public Integer call() throws Exception {
            Store s = store.open();
            ImageRecord r = store.find(s, ref);
            Path bundle = new Bundles(s, store.mounts(s)).create(r.reference(), dir);
            out().println("bundle " + bundle + " ready: runc run --bundle " + bundle + " <id>");
            out().flush();
            return 0;
        }
    }

    @Command(name = "agent", mixinStandardHelpOptions = true, description = "Run the node agent: keep the configured images pulled.")
    static final class Agent implements Callable<Integer> {
        @Option(names = "--config", required = true, description = "agent YAML file")
        Path config;

        @Override
        public Integer call() throws Exception {
            NodeAgent agent = NodeAgent.start(AgentConfig.load(config));
            agent.closeOnSignals();
            agent.awaitTermination();
            return 0;
        }
    }

    @Command(name = "snapshotter", mixinStandardHelpOptions = true,
            description = "Serve containerd's snapshots API on a unix socket (a proxy snapshotter plugin) on the store.")
    static final class Snapshotter extends Base {
        @Option(names = "--address", description = "unix socket to listen on (default: ${DEFAULT-VALUE})",
                defaultValue = SnapshotterServer.DEFAULT_ADDRESS)
        Path address;

        @Option(names = "--pull-missing", description = "pull the image of a layer CRI asks for and the store lacks "
                + "with Berth's pipeline instead of letting containerd fetch it (needs CRI's "
                + "disable_snapshot_annotations = false)")
        boolean pullMissing;

        @Mixin
        CommonOptions.RegistryOptions registry;

        @Override
        public Integer call() throws Exception {
            Store s = store.open();
            SnapshotterServer server = SnapshotterServer.start(s, address,
                    pullMissing ? MissingLayers.pulling(s, registry.puller(s)) : MissingLayers.NONE);
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "snapshotter-shutdown"));
            out().println("serving containerd snapshots on " + server.socket());
            out().flush();
            server.awaitTermination();
            return 0;
        }
    }
}
