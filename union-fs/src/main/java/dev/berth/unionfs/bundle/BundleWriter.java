package dev.berth.unionfs.bundle;

import dev.berth.unionfs.mount.MountSpec;
import dev.berth.unionfs.mount.Mounter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes OCI runtime bundles.
 *
 * <p>Vocabulary (OCI runtime-spec). A <em>bundle</em> is a directory holding {@code config.json} and
 * the container's root filesystem, here always {@code <bundle>/rootfs}, which Berth makes by mounting
 * the image's layers there (see {@link #mountRootfs}). A runtime such as runc reads the bundle and
 * starts the container. The config written here is the one {@code runc spec} produces, minus the
 * terminal: new pid, ipc, uts, mount and network namespaces; /proc, a tmpfs /dev with devpts, shm
 * and mqueue, a read-only /sys and cgroup; the capabilities the {@link ProcessSpec} names (by default
 * runc's AUDIT_WRITE, KILL and NET_BIND_SERVICE); 1024 open files; no new privileges; all devices denied; the usual masked and read-only paths.
 */
public final class BundleWriter {

    /** The runtime-spec version the config declares; runc 1.1 and later accept it. */
    public static final String OCI_VERSION = "1.0.2";

    public static final String CONFIG = "config.json";
    public static final String ROOTFS = "rootfs";

    private static final List<String> MASKED = List.of(
            "/proc/acpi",
            "/proc/asound",
            "/proc/kcore",
            "/proc/keys",
            "/proc/latency_stats",
            "/proc/timer_list",
            "/proc/timer_stats",
            "/proc/sched_debug",
            "/sys/firmware",
            "/proc/scsi");
    private static final List<String> READ_ONLY =
            List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
    private static final List<String> NAMESPACES = List.of("pid", "network", "ipc", "uts", "mount");

    private final JsonMapper json = JsonMapper.builder().build();

    /** Writes {@code <bundleDir>/config.json}, replacing any previous one atomically. */
    public Path writeConfig(Path bundleDir, ProcessSpec spec) throws IOException {
        Files.createDirectories(bundleDir.resolve(ROOTFS));
        Path config = bundleDir.resolve(CONFIG);
        Path tmp = bundleDir.resolve(CONFIG + ".tmp");
        Files.write(tmp, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(config(spec)));
        Files.move(tmp, config, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return config;
    }

    /** Mounts {@code rootfs} at {@code <bundleDir>/rootfs}, whatever target the spec named. */
    public Path mountRootfs(Path bundleDir, MountSpec rootfs, Mounter mounter) throws IOException {
        Path dir = Files.createDirectories(bundleDir.resolve(ROOTFS));
        mounter.mount(rootfs.withTarget(dir));
        return dir;
    }

    /** The config as a JSON tree. */
    public ObjectNode config(ProcessSpec spec) {
        ObjectNode root = json.createObjectNode();
        root.put("ociVersion", OCI_VERSION);

        ObjectNode process = root.putObject("process");
        process.put("terminal", spec.terminal());
        ObjectNode user = process.putObject("user");
        user.put("uid", spec.uid());
        user.put("gid", spec.gid());
        strings(process.putArray("args"), spec.args());
        strings(process.putArray("env"), spec.env());
        process.put("cwd", spec.cwd());
        ObjectNode caps = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            strings(caps.putArray(set), spec.capabilities());
        }
        ObjectNode nofile = process.putArray("rlimits").addObject();
        nofile.put("type", "RLIMIT_NOFILE");
        nofile.put("hard", 1024);
        nofile.put("soft", 1024);
        process.put("noNewPrivileges", true);

        ObjectNode rootfs = root.putObject("root");
        rootfs.put("path", ROOTFS);
        // Writability is the rootfs mount's business: a read-only overlay is already read-only.
        rootfs.put("readonly", false);
        root.put("hostname", spec.hostname());

        ArrayNode mounts = root.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(
                mounts,
                "/dev/pts",
                "devpts",
                "devpts",
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro");

        ObjectNode linux = root.putObject("linux");
        ObjectNode denyAll = linux.putObject("resources").putArray("devices").addObject();
        denyAll.put("allow", false);
        denyAll.put("access", "rwm");
        ArrayNode ns = linux.putArray("namespaces");
        for (String type : NAMESPACES) {
            ns.addObject().put("type", type);
        }
        strings(linux.putArray("maskedPaths"), MASKED);
        strings(linux.putArray("readonlyPaths"), READ_ONLY);
        return root;
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
        ObjectNode m = mounts.addObject();
        m.put("destination", destination);
        m.put("type", type);
        m.put("source", source);
        if (options.length > 0) {
            strings(m.putArray("options"), List.of(options));
        }
    }

    private static void strings(ArrayNode array, List<String> values) {
        for (String v : values) {
            array.add(v);
        }
    }
}
