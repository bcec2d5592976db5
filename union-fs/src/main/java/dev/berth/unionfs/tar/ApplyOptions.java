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
 */
public record ApplyOptions(boolean preserveOwnership, boolean createDeviceNodes, boolean ignorePrivilegeErrors,
    int bufferSize, boolean readAhead) {

  public ApplyOptions {
    if (bufferSize < 4096) {
      throw new IllegalArgumentException("bufferSize must be at least 4096: " + bufferSize);
    }
  }

  /** Exact reproduction, as root; a privilege error fails the apply. */
  public static ApplyOptions defaults() {
    return new ApplyOptions(true, true, false, 1 << 20, true);
  }

  /** Best effort without root: no chown, no device nodes, EPERM on attributes ignored. */
  public static ApplyOptions unprivileged() {
    return new ApplyOptions(false, false, true, 1 << 20, true);
  }

  /** {@link #defaults()} when the effective uid is 0, otherwise {@link #unprivileged()}. */
  public static ApplyOptions forCurrentUser() {
    return dev.berth.unionfs.sys.LibC.geteuid() == 0 ? defaults() : unprivileged();
  }

  public ApplyOptions withBufferSize(int size) {
    return new ApplyOptions(preserveOwnership, createDeviceNodes, ignorePrivilegeErrors, size, readAhead);
  }

  public ApplyOptions withReadAhead(boolean enabled) {
    return new ApplyOptions(preserveOwnership, createDeviceNodes, ignorePrivilegeErrors, bufferSize, enabled);
  }
}
