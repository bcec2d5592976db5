package dev.berth.unionfs.mount;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A mount as data: what {@link Mounter#mount} will do, decided beforehand by {@link MountPlanner}.
 *
 * <p>{@code type} is the filesystem type ({@code overlay}) or {@code bind}; {@code source} is what
 * mount(2) calls the source; {@code options} are the filesystem's own options (for overlay:
 * {@code lowerdir=...}, {@code upperdir=...}, {@code workdir=...}), joined with commas into the
 * mount data; {@code flags} are the generic {@code MS_*} flags. When {@code workingDirectory} is
 * present the options hold paths relative to it and the mount is made from inside it: overlay2's way
 * of keeping a long chain of lower layers within the kernel's one page of mount data.
 */
public record MountSpec(
        String type,
        String source,
        Path target,
        Set<MountFlag> flags,
        List<String> options,
        Optional<Path> workingDirectory) {

    public static final String BIND = "bind";
    public static final String OVERLAY = "overlay";

    public MountSpec {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
        options = List.copyOf(options);
        Objects.requireNonNull(workingDirectory, "workingDirectory");
    }

    /** The mount data string passed to mount(2): the options joined with commas. */
    public String data() {
        return String.join(",", options);
    }

    /** Size of {@link #data()} as the kernel counts it, without the terminating NUL. */
    public int dataLength() {
        return data().getBytes(StandardCharsets.UTF_8).length;
    }

    public boolean readOnly() {
        return flags.contains(MountFlag.RDONLY);
    }

    /** The same mount at another place, e.g. a bundle's {@code rootfs}. */
    public MountSpec withTarget(Path newTarget) {
        return new MountSpec(type, source, newTarget, flags, options, workingDirectory);
    }

    /** A one-line description in the style of fstab, for logs. */
    @Override
    public String toString() {
        return type + " " + source + " on " + target + " flags=" + flags + " (" + data() + ")"
                + workingDirectory.map(d -> " from " + d).orElse("");
    }
}
