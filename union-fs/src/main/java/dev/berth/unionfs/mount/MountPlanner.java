package dev.berth.unionfs.mount;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides how to mount a chain of layers, without touching anything.
 *
 * <p>Vocabulary. The <em>lower dirs</em> are the read-only layer directories of an image, topmost
 * first (overlayfs's order). The <em>upper dir</em> receives a container's writes and the
 * <em>work dir</em>, on the same filesystem, is overlayfs's scratch space; both are absent for a
 * read-only view. The plan is:
 * <ul>
 *   <li>two or more lower dirs, or any lower dirs with an upper dir: an {@code overlay} mount;</li>
 *   <li>a single lower dir and no upper dir: a read-only bind mount, since overlayfs wants two
 *       layers to make a read-only union and a bind mount is cheaper anyway;</li>
 *   <li>no lower dir but an upper dir: a read-write bind mount of the upper dir.</li>
 * </ul>
 *
 * <p>Short links. mount(2) copies at most one page (4096 bytes) of mount data, so the absolute paths
 * of a long chain do not fit. overlay2 gives each layer a short symlink {@code l/XXXXXXXX} under its
 * root and mounts from inside that root with relative paths. A planner made with
 * {@link #withLinkRoot(Path)} does the same when, and only when, the absolute form is too long: paths
 * under the link root become relative and the spec carries the link root as its working directory.
 */
public final class MountPlanner {

    /** mount(2) copies one page of data, the last byte of which must be the terminating NUL. */
    public static final int DEFAULT_PAGE_SIZE = 4096;

    private final int pageSize;
    private final Path linkRoot;

    private MountPlanner(int pageSize, Path linkRoot) {
        if (pageSize < 512) {
            throw new IllegalArgumentException("page size " + pageSize);
        }
        this.pageSize = pageSize;
        this.linkRoot = linkRoot == null ? null : linkRoot.toAbsolutePath().normalize();
    }

    public MountPlanner() {
        this(DEFAULT_PAGE_SIZE, null);
    }

    /** A planner that falls back to paths relative to {@code linkRoot} (overlay2's root). */
    public MountPlanner withLinkRoot(Path root) {
        return new MountPlanner(pageSize, Objects.requireNonNull(root, "root"));
    }

    public MountPlanner withPageSize(int bytes) {
        return new MountPlanner(bytes, linkRoot);
    }

    /** A read-only view of the layers. */
    public MountSpec readOnly(List<Path> lowerDirs, Path target) {
        return plan(lowerDirs, Optional.empty(), Optional.empty(), target);
    }

    /** A writable container root: writes go to {@code upperDir}. */
    public MountSpec writable(List<Path> lowerDirs, Path upperDir, Path workDir, Path target) {
        return plan(lowerDirs, Optional.of(upperDir), Optional.of(workDir), target);
    }

    /**
     * The general form: {@code upperDir} and {@code workDir} are both present or both absent.
     *
     * @throws IllegalArgumentException when nothing can be mounted, a path cannot be written in overlay
     *     options, or the options exceed a page even with short links
     */
    public MountSpec plan(List<Path> lowerDirs, Optional<Path> upperDir, Optional<Path> workDir, Path target) {
        Objects.requireNonNull(target, "target");
        if (upperDir.isPresent() != workDir.isPresent()) {
            throw new IllegalArgumentException("upperdir and workdir go together");
        }
        List<Path> lowers =
                lowerDirs.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        if (lowers.isEmpty()) {
            Path upper = upperDir.orElseThrow(() -> new IllegalArgumentException("no layers to mount"));
            return new MountSpec(
                    MountSpec.BIND,
                    upper.toAbsolutePath().toString(),
                    target,
                    EnumSet.of(MountFlag.BIND),
                    List.of(),
                    Optional.empty());
        }
        if (lowers.size() == 1 && upperDir.isEmpty()) {
            return new MountSpec(
                    MountSpec.BIND,
                    lowers.get(0).toString(),
                    target,
                    EnumSet.of(MountFlag.BIND, MountFlag.RDONLY),
                    List.of(),
                    Optional.empty());
        }
        Optional<Path> upper = upperDir.map(p -> p.toAbsolutePath().normalize());
        Optional<Path> work = workDir.map(p -> p.toAbsolutePath().normalize());
        EnumSet<MountFlag> flags = upper.isPresent() ? EnumSet.noneOf(MountFlag.class) : EnumSet.of(MountFlag.RDONLY);

        List<String> absolute = overlayOptions(lowers, upper, work, null);
        if (fits(absolute)) {
            return new MountSpec(MountSpec.OVERLAY, MountSpec.OVERLAY, target, flags, absolute, Optional.empty());
        }
        if (linkRoot == null) {
            throw new IllegalArgumentException("overlay options are " + length(absolute) + " bytes, more than a page ("
                    + pageSize + "); use short links and a planner withLinkRoot(...)");
        }
        List<String> relative = overlayOptions(lowers, upper, work, linkRoot);
        if (!fits(relative)) {
            throw new IllegalArgumentException("overlay options are " + length(relative) + " bytes even relative to "
                    + linkRoot + ", more than a page (" + pageSize + ")");
        }
        return new MountSpec(MountSpec.OVERLAY, MountSpec.OVERLAY, target, flags, relative, Optional.of(linkRoot));
    }

    private List<String> overlayOptions(List<Path> lowers, Optional<Path> upper, Optional<Path> work, Path base) {
        List<String> lowerStrings = new ArrayList<>(lowers.size());
        for (Path p : lowers) {
            lowerStrings.add(render(p, base));
        }
        List<String> options = new ArrayList<>(3);
        options.add("lowerdir=" + String.join(":", lowerStrings));
        upper.ifPresent(u -> options.add("upperdir=" + render(u, base)));
        work.ifPresent(w -> options.add("workdir=" + render(w, base)));
        return options;
    }

    private static String render(Path p, Path base) {
        String s = base != null && p.startsWith(base) && !p.equals(base)
                ? base.relativize(p).toString()
                : p.toString();
        // Overlayfs splits options at ',' and lower dirs at ':'; escaping is not portable across kernels.
        if (s.indexOf(',') >= 0 || s.indexOf(':') >= 0 || s.indexOf('\\') >= 0) {
            throw new IllegalArgumentException("path cannot be used in overlay options: " + s);
        }
        return s;
    }

    private boolean fits(List<String> options) {
        return length(options) <= pageSize - 1;
    }

    private static int length(List<String> options) {
        return String.join(",", options).getBytes(StandardCharsets.UTF_8).length;
    }
}
