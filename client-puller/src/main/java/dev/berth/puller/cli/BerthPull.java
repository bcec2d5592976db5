package dev.berth.puller.cli;

import dev.berth.oci.ImageReference;
import dev.berth.oci.OciJson;
import dev.berth.oci.Platform;
import dev.berth.puller.agent.AgentConfig;
import dev.berth.puller.agent.NodeAgent;
import dev.berth.puller.mount.Bundles;
import dev.berth.puller.mount.ImageMounts;
import dev.berth.puller.mount.ImageProcess;
import dev.berth.puller.pull.PullResult;
import dev.berth.puller.registry.ImageResolver;
import dev.berth.puller.registry.ResolvedImage;
import dev.berth.puller.snapshot.MissingLayers;
import dev.berth.puller.snapshot.SnapshotterServer;
import dev.berth.puller.store.ImageRecord;
import dev.berth.puller.store.LayerInfo;
import dev.berth.puller.store.MountRecord;
import dev.berth.puller.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.Files;
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
@Command(
        name = "berth-pull",
        mixinStandardHelpOptions = true,
        version = "berth-pull 0.1.0",
        description = "Pulls container images into an overlay2-compatible layer store.",
        subcommands = {
            BerthPull.Pull.class,
            BerthPull.Images.class,
            BerthPull.Inspect.class,
            BerthPull.Rm.class,
            BerthPull.Prune.class,
            BerthPull.Mount.class,
            BerthPull.Mounts.class,
            BerthPull.Unmount.class,
            BerthPull.Bundle.class,
            BerthPull.Agent.class,
            BerthPull.Snapshotter.class
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success",
            "1:failure (the error says what, where, why and what to try; with --json one "
                    + "JSON object on stderr with a stable \"code\")",
            "2:usage error (unknown option, missing argument)"
        },
        footer = {
            "",
            "Examples:",
            "  berth-pull pull busybox",
            "  berth-pull pull --plain-http registry.lan:5000/team/app:1.0",
            "  berth-pull images",
            "  berth-pull bundle busybox /tmp/bb -- /bin/sh -c 'echo hi'",
            "",
            "Run `berth-pull COMMAND --help` for a command's options and examples."
        })
public final class BerthPull implements Runnable {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (for main and for in-process tests). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BerthPull());
        // Wide enough that references and examples are not broken mid-word.
        cl.setUsageHelpWidth(110);
        // Errors are one line ("error: ...") or, with --json, one JSON object; never a stack trace.
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            Failure.of(ex).print(line.getErr(), jsonRequested(parsed));
            return Failure.EXIT;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine line = ex.getCommandLine();
            PrintWriter err = line.getErr();
            if (List.of(args).contains("--json")) {
                new Failure(Failure.Code.USAGE, ex.getMessage(), Map.of()).print(err, true);
            } else {
                err.println("error: " + ex.getMessage());
                err.println(
                        "usage: " + line.getCommandSpec().qualifiedName() + " --help shows the options and examples");
                err.flush();
            }
            return Failure.USAGE_EXIT;
        });
        return cl;
    }

    private static boolean jsonRequested(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--json")) {
                return true;
            }
        }
        return false;
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

        /** A line for people, or {@code value} as JSON with --json. */
        void report(String text, Object value) {
            if (store.json) {
                printJson(value);
            } else {
                out().println(text);
                out().flush();
            }
        }

        void warn(String code, String text) {
            PrintWriter err = spec.commandLine().getErr();
            if (store.json) {
                err.println(OciJson.mapper().writeValueAsString(Map.of("warning", text, "code", code)));
            } else {
                err.println("warning: " + text);
            }
            err.flush();
        }
    }

    /** Progress output of pull. */
    enum Progress {
        auto,
        tty,
        json
    }

    @Command(
            name = "pull",
            mixinStandardHelpOptions = true,
            description = {
                "Pull an image (all its layers in parallel) into the store, creating the store if needed.",
                "On a terminal it draws a progress bar per layer with the total speed and ETA; when stdout is not "
                        + "a terminal (or with --json) it prints one JSON object per line per event instead."
            },
            footer = {
                "",
                "Examples:",
                "  berth-pull pull busybox                          # docker.io/library/busybox:latest",
                "  berth-pull pull localhost:5000/team/app:1.0       # loopback: no --plain-http needed",
                "  berth-pull pull --plain-http registry.lan:5000/app",
                "  berth-pull pull --platform linux/arm64/v8 alpine  # kept beside the amd64 record",
                "  HTTPS_PROXY=http://proxy:3128 NO_PROXY=.lan berth-pull pull quay.io/org/img"
            })
    static final class Pull extends Base {
        @Parameters(paramLabel = "REF", description = Help.REF)
        String ref;

        @Mixin
        CommonOptions.RegistryOptions registry;

        @Option(
                names = "--progress",
                paramLabel = "MODE",
                defaultValue = "auto",
                description =
                        "auto (bars on a terminal, JSON lines otherwise), tty or json (default: ${DEFAULT-VALUE})")
        Progress progress;

        @Override
        public Integer call() throws Exception {
            ImageReference reference = parse(spec.commandLine(), ref);
            Platform host = ImageResolver.hostPlatform();
            var puller = registry.puller(store.openOrCreate(), spec.commandLine());
            boolean json =
                    store.json || progress == Progress.json || (progress == Progress.auto && System.console() == null);
            ProgressRenderer renderer = new ProgressRenderer(out(), json, image -> warnIfForeign(image, host));
            PullResult r;
            try {
                r = puller.pull(reference, renderer);
            } catch (IOException e) {
                // Say what was being done; the cause keeps the type the error code is derived from.
                if (String.valueOf(e.getMessage()).startsWith(reference.toString())) {
                    throw e;
                }
                throw new IOException("pull " + reference + ": " + e.getMessage(), e);
            }
            return r == null ? 1 : 0;
        }

        private void warnIfForeign(ResolvedImage image, Platform host) {
            if (!runsOn(host, image.platform())) {
                warn(
                        "PLATFORM_MISMATCH",
                        image.reference() + " is for " + image.platform() + ", but this host is " + host
                                + ": its programs will not run here without emulation (qemu binfmt_misc)");
            }
        }
    }

    /** Whether programs built for {@code image} run natively on {@code host}. */
    static boolean runsOn(Platform host, Platform image) {
        if (!host.os().equals(image.os())) {
            return false;
        }
        if (host.architecture().equals(image.architecture())) {
            return true;
        }
        return switch (host.architecture()) {
            case "amd64" -> image.architecture().equals("386");
            case "arm64" -> image.architecture().equals("arm");
            default -> false;
        };
    }

    static ImageReference parse(CommandLine cl, String text) {
        try {
            return ImageReference.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(
                    cl,
                    "REF " + text + ": " + e.getMessage()
                            + " (expected [REGISTRY[:PORT]/]REPOSITORY[:TAG][@DIGEST], lower-case)");
        }
    }

    @Command(
            name = "images",
            mixinStandardHelpOptions = true,
            description = "List pulled images, one row per reference and platform, like `docker images`.",
            footer = {"", "Examples:", "  berth-pull images", "  berth-pull images --json | jq -r '.[].reference'"})
    static final class Images extends Base {
        @Override
        public Integer call() throws Exception {
            Store s = store.open();
            List<ImageRecord> records = s.images().list();
            List<Map<String, Object>> rows = new ArrayList<>();
            for (ImageRecord r : records) {
                rows.add(ImageTable.row(r, size(s, r)));
            }
            if (store.json) {
                printJson(rows);
                return 0;
            }
            out().print(ImageTable.render(rows));
            out().flush();
            return 0;
        }
    }

    static long size(Store s, ImageRecord r) throws IOException {
        long total = 0;
        for (var id : r.chainIds()) {
            total += s.layers().info(id).map(LayerInfo::diskSize).orElse(0L);
        }
        return total;
    }

    @Command(
            name = "inspect",
            mixinStandardHelpOptions = true,
            description = {
                "Show an image's record (JSON): manifest digest, platform, config, layers.",
                "When REF matches several images (a short ID prefix, or a tag pulled for several platforms), "
                        + "the error lists them."
            },
            footer = {
                "",
                "Examples:",
                "  berth-pull inspect busybox",
                "  berth-pull inspect 3f57d9401f8d",
                "  berth-pull inspect --platform linux/arm64/v8 alpine"
            })
    static final class Inspect extends Base {
        @Parameters(paramLabel = "REF", description = Help.STORED_REF)
        String ref;

        @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "which platform's record")
        String platform;

        @Override
        public Integer call() throws Exception {
            printJson(store.find(store.open(), ref, platform));
            return 0;
        }
    }

    @Command(
            name = "rm",
            mixinStandardHelpOptions = true,
            description = "Remove an image's records, of every platform unless --platform names one (the layers "
                    + "stay until prune).",
            footer = {
                "",
                "Examples:",
                "  berth-pull rm busybox",
                "  berth-pull rm --platform linux/arm64/v8 alpine",
                "  berth-pull rm 3f57d9401f8d && berth-pull prune"
            })
    static final class Rm extends Base {
        @Parameters(paramLabel = "REF", description = Help.STORED_REF)
        String ref;

        @Option(
                names = "--platform",
                paramLabel = "OS/ARCH[/VARIANT]",
                description = "remove only this platform's record")
        String platform;

        @Override
        public Integer call() throws Exception {
            Store s = store.open();
            // A reference means every platform's record of it, unless --platform names one.
            List<ImageRecord> gone = platform == null
                    ? CommonOptions.StoreOptions.byReference(s.images().list(), ref)
                    : List.of();
            if (gone.isEmpty()) {
                gone = List.of(store.find(s, ref, platform));
            }
            List<Map<String, Object>> removed = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            for (ImageRecord r : gone) {
                s.images().remove(r.reference(), r.platform());
                removed.add(Map.of("reference", r.reference(), "platform", r.platform()));
                text.append(text.length() == 0 ? "" : "\n")
                        .append("removed ")
                        .append(r.reference())
                        .append(" (")
                        .append(r.platform())
                        .append(')');
            }
            report(text + "\nits layers stay until `berth-pull prune`", Map.of("removed", removed));
            return 0;
        }
    }

    @Command(
            name = "prune",
            mixinStandardHelpOptions = true,
            description = {
                "Remove layers that no image and no mount uses.",
                "First forgets mounts whose TARGET was unmounted by hand (umount), so they pin no layers; their "
                        + "writable layers are kept."
            },
            footer = {"", "Examples:", "  berth-pull prune", "  berth-pull prune --json"})
    static final class Prune extends Base {
        @Override
        public Integer call() throws Exception {
            Store s = store.open();
            List<MountRecord> stale = store.mounts(s).forgetStale();
            List<LayerInfo> removed = s.prune();
            long bytes = removed.stream().mapToLong(LayerInfo::diskSize).sum();
            if (store.json) {
                printJson(Map.of(
                        "layers",
                        removed.size(),
                        "bytes",
                        bytes,
                        "forgottenMounts",
                        stale.stream().map(MountRecord::target).toList()));
            } else {
                for (MountRecord m : stale) {
                    out().println("forgot mount " + m.target() + " (" + m.reference() + "): it was unmounted by hand");
                }
                out().printf("pruned %d layers, %.1f MiB%n", removed.size(), bytes / 1048576.0);
                out().flush();
            }
            return 0;
        }
    }

    @Command(
            name = "mount",
            mixinStandardHelpOptions = true,
            description = {
                "Mount an image's filesystem (overlay) at TARGET, read-only unless --writable.",
                "A writable mount keeps its changes in a writable layer of its own; `unmount` keeps that layer "
                        + "(unless --discard), and a later writable mount of the same TARGET continues with it."
            },
            footer = {
                "",
                "Examples:",
                "  berth-pull mount busybox /mnt/bb",
                "  berth-pull mount --writable busybox /mnt/bb",
                "  berth-pull unmount /mnt/bb"
            })
    static final class Mount extends Base {
        @Parameters(index = "0", paramLabel = "REF", description = Help.STORED_REF)
        String ref;

        @Parameters(index = "1", paramLabel = "TARGET", description = Help.TARGET)
        Path target;

        @Option(names = "--writable", description = "stack a private writable layer on top")
        boolean writable;

        @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "which platform's record")
        String platform;

        @Override
        public Integer call() throws Exception {
            Store s = store.open();
            ImageRecord r = store.find(s, ref, platform);
            ImageMounts mounts = store.mounts(s);
            mounts.mount(r, target, writable);
            Path t = target.toAbsolutePath().normalize();
            Path upper = writable ? mounts.keptUpper(t) : null;
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("target", t.toString());
            json.put("reference", r.reference());
            json.put("platform", r.platform());
            json.put("writable", writable);
            json.put("upper", upper == null ? null : upper.toString());
            report(
                    "mounted " + r.reference() + " at " + t
                            + (writable ? " (writable; changes go to " + upper + ")" : ""),
                    json);
            return 0;
        }
    }

    @Command(
            name = "mounts",
            mixinStandardHelpOptions = true,
            description = {
                "List the mounts and bundles berth made.",
                "STATE is \"mounted\", or \"gone\" for a TARGET unmounted by hand (the next prune forgets it)."
            },
            footer = {"", "Examples:", "  berth-pull mounts", "  berth-pull mounts --json"})
    static final class Mounts extends Base {
        @Override
        public Integer call() throws Exception {
            Store s = store.open();
            List<ImageMounts.Active> active = store.mounts(s).list();
            List<Map<String, Object>> rows = new ArrayList<>();
            for (ImageMounts.Active a : active) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("target", a.record().target());
                row.put("reference", a.record().reference());
                row.put("writable", a.record().writable());
                row.put("state", a.mounted() ? "mounted" : "gone");
                row.put("upper", a.upper() == null ? null : a.upper().toString());
                rows.add(row);
            }
            if (store.json) {
                printJson(rows);
                return 0;
            }
            List<List<String>> table = new ArrayList<>();
            table.add(List.of("TARGET", "IMAGE", "MODE", "STATE", "WRITABLE LAYER"));
            for (Map<String, Object> row : rows) {
                table.add(List.of(
                        (String) row.get("target"),
                        (String) row.get("reference"),
                        (Boolean) row.get("writable") ? "rw" : "ro",
                        (String) row.get("state"),
                        row.get("upper") == null ? "-" : (String) row.get("upper")));
            }
            out().print(ImageTable.align(table));
            out().flush();
            return 0;
        }
    }

    @Command(
            name = "unmount",
            mixinStandardHelpOptions = true,
            aliases = "umount",
            description = {
                "Unmount TARGET, or tear down the bundle in DIR (its rootfs and config.json).",
                "A writable layer is kept, and its place printed, unless --discard: a later writable mount of "
                        + "the same TARGET (or bundle in DIR) continues with it. `unmount --discard` of a TARGET "
                        + "already unmounted deletes the writable layer it left."
            },
            footer = {
                "",
                "Examples:",
                "  berth-pull unmount /mnt/bb",
                "  berth-pull unmount --discard /mnt/bb",
                "  runc delete mybox && berth-pull unmount /tmp/bundle"
            })
    static final class Unmount extends Base {
        @Parameters(
                paramLabel = "TARGET|DIR",
                description = "a mount point made by `mount`, or a bundle " + "directory made by `bundle`.")
        Path target;

        @Option(names = "--discard", description = "delete the writable layer too")
        boolean discard;

        @Override
        public Integer call() throws Exception {
            Store s = store.open();
            ImageMounts mounts = store.mounts(s);
            Bundles bundles = new Bundles(s, mounts);
            Path t = target.toAbsolutePath().normalize();
            boolean bundle = bundles.isBundle(t) || (discard && mounts.keptUpper(t.resolve("rootfs")) != null);
            Path kept = bundle ? bundles.remove(t, discard) : mounts.unmount(t, discard);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("target", t.toString());
            json.put("bundle", bundle);
            json.put("kept", kept == null ? null : kept.toString());
            report(
                    "unmounted " + (bundle ? "bundle " : "") + t
                            + (kept == null
                                    ? ""
                                    : "\nkept its writable layer at "
                                            + kept + ": a writable mount of the same "
                                            + (bundle ? "bundle DIR" : "TARGET")
                                            + " continues with it; `berth-pull unmount --discard " + t
                                            + "` deletes it"),
                    json);
            return 0;
        }
    }

    @Command(
            name = "bundle",
            mixinStandardHelpOptions = true,
            description = {
                "Create an OCI runtime bundle in DIR: a writable overlay of the image at DIR/rootfs and "
                        + "DIR/config.json, ready for `runc run --bundle DIR ID`.",
                "ARGS after -- replace the image's Cmd, as `docker run IMAGE ARGS` does; --entrypoint replaces "
                        + "its Entrypoint. An image without Entrypoint and Cmd needs ARGS.",
                "`berth-pull unmount DIR` tears the bundle down (after `runc delete`)."
            },
            footer = {
                "",
                "Examples:",
                "  berth-pull bundle busybox /tmp/bb && runc run --bundle /tmp/bb bb1",
                "  berth-pull bundle busybox /tmp/bb -- /bin/sh -c 'id; pwd'",
                "  berth-pull bundle --env GREETING=hi --user 1000:1000 --cwd /tmp busybox /tmp/bb -- env",
                "  runc delete bb1; berth-pull unmount /tmp/bb"
            })
    static final class Bundle extends Base {
        @Parameters(index = "0", paramLabel = "REF", description = Help.STORED_REF)
        String ref;

        @Parameters(index = "1", paramLabel = "DIR", description = Help.DIR)
        Path dir;

        @Parameters(
                index = "2..*",
                paramLabel = "ARGS",
                arity = "0..*",
                description = "command and arguments to run instead of the image's Cmd (put them after --)")
        List<String> args = new ArrayList<>();

        @Option(
                names = {"-e", "--env"},
                paramLabel = "KEY=VALUE",
                description = "set an environment variable " + "(repeatable); replaces the image's value of KEY")
        List<String> env = new ArrayList<>();

        @Option(
                names = {"-u", "--user"},
                paramLabel = "USER[:GROUP]",
                description = "user to run as: a name of "
                        + "the image's /etc/passwd or a uid, optionally with a group (default: the image's User)")
        String user;

        @Option(
                names = {"-w", "--cwd"},
                paramLabel = "PATH",
                description = "working directory (default: the " + "image's WorkingDir, else /)")
        String cwd;

        @Option(
                names = "--entrypoint",
                paramLabel = "PATH",
                description = "replace the image's Entrypoint (its Cmd "
                        + "is then dropped too, as with docker); \"\" clears it")
        String entrypoint;

        @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "which platform's record")
        String platform;

        @Override
        public Integer call() throws Exception {
            Store s = store.open();
            ImageRecord r = store.find(s, ref, platform);
            for (String e : env) {
                if (e.isEmpty() || e.startsWith("=")) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--env " + e + ": expected KEY=VALUE");
                }
            }
            ImageProcess.Overrides overrides = new ImageProcess.Overrides(
                    entrypoint == null ? null : entrypoint.isEmpty() ? List.of() : List.of(entrypoint),
                    args.isEmpty() ? null : args,
                    env,
                    user,
                    cwd);
            Path bundle = new Bundles(s, store.mounts(s)).create(r, dir, overrides);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("bundle", bundle.toString());
            json.put("reference", r.reference());
            json.put("platform", r.platform());
            json.put("rootfs", bundle.resolve("rootfs").toString());
            json.put("config", bundle.resolve("config.json").toString());
            report(
                    "bundle " + bundle + " ready: runc run --bundle " + bundle + " <id>; tear it down with "
                            + "`berth-pull unmount " + bundle + "`",
                    json);
            return 0;
        }
    }

    @Command(
            name = "agent",
            mixinStandardHelpOptions = true,
            description = "Run the node agent: keep the configured images pulled.",
            footer = {"", "Examples:", "  berth-pull agent --config /etc/berth/agent.yml"})
    static final class Agent implements Callable<Integer> {
        @Option(
                names = "--config",
                paramLabel = "FILE",
                required = true,
                description = "agent YAML file " + "(deploy/agent.yml is an example)")
        Path config;

        @Option(names = "--json", description = "a failure to start is one JSON object on stderr")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (!Files.isRegularFile(config)) {
                throw new CliException(
                        Failure.Code.CONFIG,
                        "agent configuration " + config + " ("
                                + config.toAbsolutePath() + "): "
                                + (Files.exists(config) ? "not a regular file" : "no such file")
                                + "; give an existing YAML file with --config (deploy/agent.yml is an example)");
            }
            AgentConfig cfg;
            try {
                cfg = AgentConfig.load(config);
            } catch (IOException | RuntimeException e) {
                throw new CliException(Failure.Code.CONFIG, "agent configuration " + config + ": " + e.getMessage(), e);
            }
            NodeAgent agent;
            try {
                agent = NodeAgent.start(cfg);
            } catch (BindException e) {
                throw new CliException(
                        Failure.Code.ADDRESS_IN_USE,
                        "agent: cannot listen on " + cfg.listenHost() + ":"
                                + cfg.listenPort() + " (listen in " + config + "): " + e.getMessage()
                                + "; stop what uses it, or choose another listen address",
                        e);
            }
            agent.closeOnSignals();
            agent.awaitTermination();
            return 0;
        }
    }

    @Command(
            name = "snapshotter",
            mixinStandardHelpOptions = true,
            description =
                    "Serve containerd's snapshots API on a unix socket (a proxy snapshotter plugin) on the store.",
            footer = {
                "",
                "Examples:",
                "  berth-pull snapshotter --root /var/lib/berth --address /run/berth/snapshotter.sock"
            })
    static final class Snapshotter extends Base {
        @Option(
                names = "--address",
                paramLabel = "SOCKET",
                description = "unix socket to listen on (default: " + "${DEFAULT-VALUE})",
                defaultValue = SnapshotterServer.DEFAULT_ADDRESS)
        Path address;

        @Option(
                names = "--pull-missing",
                description = "pull the image of a layer CRI asks for and the store lacks "
                        + "with Berth's pipeline instead of letting containerd fetch it (needs CRI's "
                        + "disable_snapshot_annotations = false)")
        boolean pullMissing;

        @Mixin
        CommonOptions.RegistryOptions registry;

        @Override
        public Integer call() throws Exception {
            Store s = store.openOrCreate();
            SnapshotterServer server = SnapshotterServer.start(
                    s,
                    address,
                    pullMissing
                            ? MissingLayers.pulling(s, registry.puller(s, spec.commandLine()))
                            : MissingLayers.NONE);
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "snapshotter-shutdown"));
            report(
                    "serving containerd snapshots on " + server.socket(),
                    Map.of("socket", server.socket().toString()));
            server.awaitTermination();
            return 0;
        }
    }
}
