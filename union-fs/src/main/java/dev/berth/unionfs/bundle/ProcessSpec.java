package dev.berth.unionfs.bundle;

import java.util.List;
import java.util.Objects;

/**
 * What to run in a container and as whom: the part of an OCI runtime config that comes from the
 * image config and the user, rather than from Berth's defaults.
 *
 * @param args argv; {@code args[0]} is resolved by the runtime inside the container
 * @param env {@code NAME=value} strings
 * @param cwd absolute working directory inside the container
 * @param uid user id inside the container
 * @param gid group id inside the container
 * @param terminal whether the runtime should allocate a pseudo-terminal
 * @param hostname hostname of the container's UTS namespace
 * @param capabilities the bounding, effective and permitted capability sets (all three alike)
 */
public record ProcessSpec(
        List<String> args,
        List<String> env,
        String cwd,
        int uid,
        int gid,
        boolean terminal,
        String hostname,
        List<String> capabilities) {

    /** The PATH that {@code runc spec} and Docker give a container whose image sets none. */
    public static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** What {@code runc spec} grants: enough for a shell, nothing that changes ownership or identity. */
    public static final List<String> RUNC_CAPABILITIES = List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");

    /**
     * What Docker and containerd grant by default, which images written for them expect (an entrypoint that
     * chowns its data directory and drops to another user needs CHOWN, SETUID and SETGID).
     */
    public static final List<String> CONTAINER_ENGINE_CAPABILITIES = List.of(
            "CAP_AUDIT_WRITE",
            "CAP_KILL",
            "CAP_NET_BIND_SERVICE",
            "CAP_CHOWN",
            "CAP_DAC_OVERRIDE",
            "CAP_FOWNER",
            "CAP_FSETID",
            "CAP_SETGID",
            "CAP_SETUID",
            "CAP_SETPCAP",
            "CAP_NET_RAW",
            "CAP_SYS_CHROOT",
            "CAP_MKNOD",
            "CAP_SETFCAP");

    public ProcessSpec {
        args = List.copyOf(args);
        env = List.copyOf(env);
        capabilities = List.copyOf(capabilities);
        for (String c : capabilities) {
            if (!c.startsWith("CAP_")) {
                throw new IllegalArgumentException("capabilities are named CAP_*: " + c);
            }
        }
        if (args.isEmpty()) {
            throw new IllegalArgumentException("args must name a program");
        }
        Objects.requireNonNull(cwd, "cwd");
        if (!cwd.startsWith("/")) {
            throw new IllegalArgumentException("cwd must be absolute: " + cwd);
        }
        for (String e : env) {
            if (e.indexOf('=') <= 0) {
                throw new IllegalArgumentException("env entries are NAME=value: " + e);
            }
        }
        Objects.requireNonNull(hostname, "hostname");
    }

    /** With {@code runc spec}'s capabilities. */
    public ProcessSpec(
            List<String> args, List<String> env, String cwd, int uid, int gid, boolean terminal, String hostname) {
        this(args, env, cwd, uid, gid, terminal, hostname, RUNC_CAPABILITIES);
    }

    /** Runs {@code args} as root in "/", no terminal, with the default PATH and hostname "berth". */
    public static ProcessSpec of(String... args) {
        return new ProcessSpec(List.of(args), List.of(DEFAULT_PATH), "/", 0, 0, false, "berth");
    }

    public ProcessSpec withEnv(List<String> newEnv) {
        return new ProcessSpec(args, newEnv, cwd, uid, gid, terminal, hostname, capabilities);
    }

    public ProcessSpec withCwd(String newCwd) {
        return new ProcessSpec(args, env, newCwd, uid, gid, terminal, hostname, capabilities);
    }

    public ProcessSpec withUser(int newUid, int newGid) {
        return new ProcessSpec(args, env, cwd, newUid, newGid, terminal, hostname, capabilities);
    }

    public ProcessSpec withHostname(String newHostname) {
        return new ProcessSpec(args, env, cwd, uid, gid, terminal, newHostname, capabilities);
    }

    public ProcessSpec withCapabilities(List<String> newCapabilities) {
        return new ProcessSpec(args, env, cwd, uid, gid, terminal, hostname, newCapabilities);
    }
}
