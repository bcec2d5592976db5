package dev.berth.puller.mount;

import dev.berth.oci.ImageConfig;
import dev.berth.unionfs.bundle.ProcessSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What an image says to run, as a union-fs {@link ProcessSpec}, following the image spec's conversion rules:
 * args are Entrypoint followed by Cmd, Env (with the default PATH when it sets none) and WorkingDir carry
 * over, and User ({@code uid}, {@code uid:gid}, {@code name} or {@code name:group}) is resolved against the
 * image's own /etc/passwd and /etc/group. Capabilities are the container engines' defaults, which images
 * are written for; the rest of the runtime config is {@link dev.berth.unionfs.bundle.BundleWriter}'s.
 */
public final class ImageProcess {
    private ImageProcess() {}

    /**
     * @param image  the image config
     * @param rootfs the mounted root filesystem (for user and group names)
     * @param hostname the container's host name
     */
    public static ProcessSpec of(ImageConfig image, Path rootfs, String hostname) throws IOException {
        return of(image, rootfs, hostname, Overrides.NONE);
    }

    /**
     * What to run instead of what the image says, as {@code docker run} takes it: {@code cmd} replaces the
     * image's Cmd, {@code entrypoint} its Entrypoint (and then the image's Cmd is dropped too, as docker does),
     * {@code env} entries ({@code KEY=value}) are added or replace the image's value of KEY, and {@code user}
     * and {@code cwd} replace User and WorkingDir. Null or empty means "as the image says".
     */
    public record Overrides(List<String> entrypoint, List<String> cmd, List<String> env, String user, String cwd) {
        public static final Overrides NONE = new Overrides(null, null, List.of(), null, null);

        public Overrides {
            env = env == null ? List.of() : List.copyOf(env);
        }
    }

    /** As {@link #of(ImageConfig, Path, String)}, with {@code overrides} applied. */
    public static ProcessSpec of(ImageConfig image, Path rootfs, String hostname, Overrides overrides)
            throws IOException {
        ImageConfig.Execution exec = image.config();
        List<String> entrypoint = overrides.entrypoint() != null
                ? overrides.entrypoint()
                : exec == null || exec.entrypoint() == null ? List.of() : exec.entrypoint();
        List<String> cmd = overrides.cmd() != null && !overrides.cmd().isEmpty()
                ? overrides.cmd()
                : overrides.entrypoint() != null || exec == null || exec.cmd() == null ? List.of() : exec.cmd();
        List<String> args = new ArrayList<>(entrypoint);
        args.addAll(cmd);
        if (args.isEmpty()) {
            throw new IOException("the image has neither Entrypoint nor Cmd: give the command to run after --, "
                    + "e.g. `berth-pull bundle REF DIR -- /bin/sh -c 'echo hello'`");
        }
        List<String> env = new ArrayList<>(exec == null || exec.env() == null ? List.of() : exec.env());
        for (String e : overrides.env()) {
            String key = e.contains("=") ? e.substring(0, e.indexOf('=') + 1) : e + "=";
            env.removeIf(x -> x.startsWith(key) || x.equals(key.substring(0, key.length() - 1)));
            env.add(e.contains("=") ? e : key);
        }
        if (env.stream().noneMatch(e -> e.startsWith("PATH="))) {
            env.add(0, ProcessSpec.DEFAULT_PATH);
        }
        String cwd = overrides.cwd() != null && !overrides.cwd().isEmpty()
                ? overrides.cwd()
                : exec == null || exec.workingDir() == null || exec.workingDir().isEmpty() ? "/" : exec.workingDir();
        if (!cwd.startsWith("/")) {
            throw new IOException("working directory " + cwd + " must be an absolute path");
        }
        String user = overrides.user() != null && !overrides.user().isEmpty()
                ? overrides.user()
                : exec == null ? null : exec.user();
        int[] ids = resolveUser(user, rootfs);
        try {
            return new ProcessSpec(
                    args, env, cwd, ids[0], ids[1], false, hostname, ProcessSpec.CONTAINER_ENGINE_CAPABILITIES);
        } catch (IllegalArgumentException e) {
            throw new IOException("the image config cannot be run: " + e.getMessage(), e);
        }
    }

    /** {@code [uid, gid]} for the image's User field; empty means root. */
    static int[] resolveUser(String spec, Path rootfs) throws IOException {
        if (spec == null || spec.isEmpty()) {
            return new int[] {0, 0};
        }
        String userPart = spec;
        String groupPart = null;
        int colon = spec.indexOf(':');
        if (colon >= 0) {
            userPart = spec.substring(0, colon);
            groupPart = spec.substring(colon + 1);
        }
        int uid;
        int gid;
        if (userPart.matches("\\d+")) {
            uid = id(userPart, spec);
            gid = lookup(rootfs.resolve("etc/passwd"), 2, userPart)
                    .map(f -> f[3])
                    .map(Integer::parseUnsignedInt)
                    .orElse(0);
        } else {
            String[] entry = lookup(rootfs.resolve("etc/passwd"), 0, userPart)
                    .orElseThrow(() -> new IOException("user " + spec + " is not in the image's /etc/passwd"));
            uid = id(entry[2], spec);
            gid = id(entry[3], spec);
        }
        if (groupPart != null && !groupPart.isEmpty()) {
            if (groupPart.matches("\\d+")) {
                gid = id(groupPart, spec);
            } else {
                String[] entry = lookup(rootfs.resolve("etc/group"), 0, groupPart)
                        .orElseThrow(() -> new IOException("group " + spec + " is not in the image's /etc/group"));
                gid = id(entry[2], spec);
            }
        }
        return new int[] {uid, gid};
    }

    /** A 32-bit unsigned id, as the kernel's uid_t. */
    private static int id(String digits, String spec) throws IOException {
        try {
            return Integer.parseUnsignedInt(digits);
        } catch (NumberFormatException e) {
            throw new IOException("user " + spec + ": " + digits + " is not a valid id");
        }
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
}
