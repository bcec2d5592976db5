package dev.berth.unionfs.tar;

/**
 * How {@link LayerApplier} treats the parts of a layer that need privileges.
 *
 * <p>Berth runs as root, where {@link #defaults()} reproduces the layer exactly and any refusal by the
 * kernel is an error. {@link #unprivileged()} is for running without root: ownership is not
 * restored, character and block devices are skipped, and permission errors on ownership, device
 * nodes and extended attributes are ignored, so that the result is as close as an unprivileged user
 * can get rather than a failure.
 *
 * @param preserveOwnership restore the uid and gid recorded in the tar ({@code fchown}/{@code lchown})
 * @param createDeviceNodes create character and block devices; fifos and whiteouts are always made
 * @param ignorePrivilegeErrors treat EPERM from chown, mknod and setxattr as "skip this attribute"
 * @param bufferSize bytes copied per read/write when writing file content
 * @param readAhead read the caller's stream on a helper thread, so that its decompression and hashing
 *     overlap with writing files (as gzip runs beside tar in {@code tar -xzf})
 * @param parallelism how many threads create regular files, the calling thread included: 1 applies the
 *     whole layer on the calling thread; N starts N - 1 writer threads per apply, to which the calling
 *     thread, still parsing the tar and doing everything that must happen in order, hands small files
 *     with their content (and writes them itself when the writers fall behind). The result is the same
 *     either way. See {@link LayerApplier}.
 */
public record ApplyOptions(
        boolean preserveOwnership,
        boolean createDeviceNodes,
        boolean ignorePrivilegeErrors,
        int bufferSize,
        boolean readAhead,
        int parallelism) {

    /** At most this many file-creating threads by default: file creation stops scaling soon after. */
    static final int MAX_DEFAULT_PARALLELISM = 4;

    public ApplyOptions {
        if (bufferSize < 4096) {
            throw new IllegalArgumentException("bufferSize must be at least 4096: " + bufferSize);
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1: " + parallelism);
        }
    }

    /** As before parallelism was an option: the default parallelism. */
    public ApplyOptions(
            boolean preserveOwnership,
            boolean createDeviceNodes,
            boolean ignorePrivilegeErrors,
            int bufferSize,
            boolean readAhead) {
        this(preserveOwnership, createDeviceNodes, ignorePrivilegeErrors, bufferSize, readAhead, defaultParallelism());
    }

    /**
     * {@code min(4, available processors)}: the reader and one writer on two CPUs (where a second writer
     * measured no faster: the decompressing thread needs the rest), the sequential apply on one CPU.
     */
    public static int defaultParallelism() {
        return Math.max(
                1, Math.min(MAX_DEFAULT_PARALLELISM, Runtime.getRuntime().availableProcessors()));
    }

    /** Exact reproduction, as root; a privilege error fails the apply. */
    public static ApplyOptions defaults() {
        return new ApplyOptions(true, true, false, 1 << 20, true, defaultParallelism());
    }

    /** Best effort without root: no chown, no device nodes, EPERM on attributes ignored. */
    public static ApplyOptions unprivileged() {
        return new ApplyOptions(false, false, true, 1 << 20, true, defaultParallelism());
    }

    /** {@link #defaults()} when the effective uid is 0, otherwise {@link #unprivileged()}. */
    public static ApplyOptions forCurrentUser() {
        return dev.berth.unionfs.sys.LibC.geteuid() == 0 ? defaults() : unprivileged();
    }

    public ApplyOptions withBufferSize(int size) {
        return new ApplyOptions(
                preserveOwnership, createDeviceNodes, ignorePrivilegeErrors, size, readAhead, parallelism);
    }

    public ApplyOptions withReadAhead(boolean enabled) {
        return new ApplyOptions(
                preserveOwnership, createDeviceNodes, ignorePrivilegeErrors, bufferSize, enabled, parallelism);
    }

    /** 1 for the sequential apply on the calling thread; see {@link #parallelism()}. */
    public ApplyOptions withParallelism(int threads) {
        return new ApplyOptions(
                preserveOwnership, createDeviceNodes, ignorePrivilegeErrors, bufferSize, readAhead, threads);
    }
}
