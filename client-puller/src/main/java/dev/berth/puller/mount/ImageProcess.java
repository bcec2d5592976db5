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
    private ImageProcess() {
    }

    /**
     * @param image  the image config
     * @param rootfs the mounted root filesystem (for user and group names)
     * @param hostname the container's host name
     */
    public static ProcessSpec of(ImageConfig image, Path rootfs, String hostname) throws IOException {
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
            env.add(0, ProcessSpec.DEFAULT_PATH);
        }
        String cwd = exec == null || exec.workingDir() == null || exec.workingDir().isEmpty() ? "/" : exec.workingDir();
        int[] ids = resolveUser(exec == null ? null : exec.user(), rootfs);
        try {
            return new ProcessSpec(args, env, cwd, ids[0], ids[1], false, hostname,
                    ProcessSpec.CONTAINER_ENGINE_CAPABILITIES);
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
            gid = lookup(rootfs.resolve("etc/passwd"), 2, userPart).map(f -> f[3]).map(Integer::parseUnsignedInt)
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
