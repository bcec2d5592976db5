package dev.berth.puller.mount;

import dev.berth.oci.ImageConfig;
import dev.berth.oci.OciJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds an OCI runtime {@code config.json} from an image config, following the image spec's conversion
 * rules: args are Entrypoint followed by Cmd, Env and WorkingDir carry over, and User ({@code uid},
 * {@code uid:gid}, {@code name} or {@code name:group}) is resolved against the image's own /etc/passwd and
 * /etc/group. The rest is the conservative default runc generates: a few capabilities, no new privileges,
 * the usual pseudo-filesystems and fresh namespaces.
 */
public final class RuntimeConfig {
    private static final List<String> CAPS = List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_SETGID", "CAP_SETUID",
            "CAP_SETPCAP", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_SETFCAP");
    private static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private RuntimeConfig() {
    }

    /**
     * @param image  the image config
     * @param rootfs the mounted root filesystem (for user and group names)
     * @param rootfsPath what to write as {@code root.path} (relative to the bundle, usually "rootfs")
     * @param hostname the container's host name
     */
    public static byte[] build(ImageConfig image, Path rootfs, String rootfsPath, String hostname) throws IOException {
        ImageConfig.Execution exec = image.config();
        List<String> args = new ArrayList<>();
        if (exec != null && exec.entrypoint() != null) {
            args.addAll(exec.entrypoint());
        }
        if (exec != null && exec.cmd() != null) {
            args.addAll(exec.cmd());
        }
        if (args.isEmpty()) {
            throw new IOException("the image has neither Entrypoint nor Cmd: nothing to run");
        }
        List<String> env = new ArrayList<>(exec == null || exec.env() == null ? List.of() : exec.env());
        if (env.stream().noneMatch(e -> e.startsWith("PATH="))) {
            env.add(0, DEFAULT_PATH);
        }
        String cwd = exec == null || exec.workingDir() == null || exec.workingDir().isEmpty() ? "/" : exec.workingDir();
        long[] ids = resolveUser(exec == null ? null : exec.user(), rootfs);

        ObjectNode root = OciJson.mapper().createObjectNode();
        root.put("ociVersion", "1.0.2");
        ObjectNode process = root.putObject("process");
        process.put("terminal", false);
        ObjectNode user = process.putObject("user");
        user.put("uid", ids[0]);
        user.put("gid", ids[1]);
        strings(process.putArray("args"), args);
        strings(process.putArray("env"), env);
        process.put("cwd", cwd);
        ObjectNode caps = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            strings(caps.putArray(set), CAPS);
        }
        ObjectNode rlimit = process.putArray("rlimits").addObject();
        rlimit.put("type", "RLIMIT_NOFILE");
        rlimit.put("hard", 1024);
        rlimit.put("soft", 1024);
        process.put("noNewPrivileges", true);
        ObjectNode rootNode = root.putObject("root");
        rootNode.put("path", rootfsPath);
        rootNode.put("readonly", false);
        root.put("hostname", hostname);
        ArrayNode mounts = root.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                "mode=0620", "gid=5");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        ObjectNode linux = root.putObject("linux");
        ObjectNode device = linux.putObject("resources").putArray("devices").addObject();
        device.put("allow", false);
        device.put("access", "rwm");
        ArrayNode ns = linux.putArray("namespaces");
        for (String t : List.of("pid", "network", "ipc", "uts", "mount")) {
            ns.addObject().put("type", t);
        }
        strings(linux.putArray("maskedPaths"), List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                "/sys/firmware", "/proc/scsi"));
        strings(linux.putArray("readonlyPaths"), List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                "/proc/sysrq-trigger"));
        return OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    }

    /** {@code [uid, gid]} for the image's User field; empty means root. */
    static long[] resolveUser(String spec, Path rootfs) throws IOException {
        if (spec == null || spec.isEmpty()) {
            return new long[] {0, 0};
        }
        String userPart = spec;
        String groupPart = null;
        int colon = spec.indexOf(':');
        if (colon >= 0) {
            userPart = spec.substring(0, colon);
            groupPart = spec.substring(colon + 1);
        }
        long uid;
        long gid;
        if (userPart.matches("\\d+")) {
            uid = Long.parseLong(userPart);
            gid = lookup(rootfs.resolve("etc/passwd"), 2, userPart).map(f -> Long.parseLong(f[3])).orElse(0L);
        } else {
            String[] entry = lookup(rootfs.resolve("etc/passwd"), 0, userPart)
                    .orElseThrow(() -> new IOException("user " + spec + " is not in the image's /etc/passwd"));
            uid = Long.parseLong(entry[2]);
            gid = Long.parseLong(entry[3]);
        }
        if (groupPart != null && !groupPart.isEmpty()) {
            if (groupPart.matches("\\d+")) {
                gid = Long.parseLong(groupPart);
            } else {
                gid = lookup(rootfs.resolve("etc/group"), 0, groupPart).map(f -> Long.parseLong(f[2]))
                        .orElseThrow(() -> new IOException("group " + spec + " is not in the image's /etc/group"));
            }
        }
        return new long[] {uid, gid};
    }

    private static Optional<String[]> lookup(Path file, int field, String value) throws IOException {
        // Never follow a symlink out of the image: /etc/passwd of the host is not the container's.
        if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] f = line.split(":", -1);
            if (f.length > Math.max(field, 3) && f[field].equals(value)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    private static void mount(ArrayNode mounts, String dest, String type, String source, String... options) {
        ObjectNode m = mounts.addObject();
        m.put("destination", dest);
        m.put("type", type);
        m.put("source", source);
        if (options.length > 0) {
            strings(m.putArray("options"), List.of(options));
        }
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
