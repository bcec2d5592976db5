package dev.berth.unionfs.tar;

import static dev.berth.unionfs.sys.LibC.*;

import com.sun.jna.LastErrorException;
import dev.berth.unionfs.sys.ErrnoException;
import dev.berth.unionfs.sys.LibC;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Ownership, mode, xattrs and times of what an apply creates, in the order the kernel needs: owner
 * before mode (chown clears setuid/setgid) and before xattrs (chown drops {@code security.capability}),
 * times last. Reads only final fields, so writer threads use it too.
 *
 * <p>As everywhere in the applier, {@code what} (for messages) is a byte string, made displayable only
 * when something fails.
 */
final class Attributes {

    private final ApplyOptions options;
    /**
     * Most files in a layer are root:root 0644 or 0755. Created with their permission bits by a
     * root process, they already are exactly that, and skipping fchown and fchmod saves a third of
     * the system calls of a small file. Valid because the umask is known and no directory has the
     * setgid bit while we write (directory modes are set at the end; only the root could have it).
     */
    private final int umask;

    private final boolean createdOwnedByRoot;

    Attributes(ApplyOptions options, int rootFd) throws IOException {
        this.options = options;
        this.umask = currentUmask();
        Stat root;
        try {
            root = lstatAt(rootFd, path("."));
        } catch (LastErrorException ex) {
            throw ErrnoException.of("stat", "layer root", ex);
        }
        this.createdOwnedByRoot = geteuid() == 0 && getegid() == 0 && (root.mode() & 02000) == 0;
    }

    /** Owner, then mode, then xattrs, then times, of a regular file just written. */
    void setMetadata(int fd, int uid, int gid, int mode, Map<String, byte[]> xattrs, long[] times, String what)
            throws IOException {
        if (options.preserveOwnership() && !(uid == 0 && gid == 0 && createdOwnedByRoot)) {
            privileged(() -> fchown(fd, uid, gid), "fchown", what);
        }
        if ((mode & ~0777) != 0 || (mode & umask) != 0) {
            try {
                fchmod(fd, mode);
            } catch (LastErrorException ex) {
                throw ErrnoException.of("fchmod", ByteStrings.display(what), ex);
            }
        }
        setXattrs(fd, null, xattrs, what);
        try {
            futimens(fd, times);
        } catch (LastErrorException ex) {
            throw ErrnoException.of("futimens", ByteStrings.display(what), ex);
        }
    }

    void chown(int dirFd, byte[] n, TarArchiveEntry e, String what) throws IOException {
        if (!options.preserveOwnership()) {
            return;
        }
        privileged(
                () -> fchownat(dirFd, n, (int) e.getLongUserId(), (int) e.getLongGroupId(), AT_SYMLINK_NOFOLLOW),
                "lchown",
                what);
    }

    /** On {@code fd} when it is >= 0, else on {@code path} without following a symlink there. */
    void setXattrs(int fd, byte[] path, Map<String, byte[]> xattrs, String what) throws IOException {
        if (xattrs.isEmpty()) {
            return;
        }
        for (Map.Entry<String, byte[]> x : xattrs.entrySet()) {
            String key = x.getKey();
            if (key.startsWith("trusted.overlay.") || key.startsWith("user.overlay.")) {
                continue;
            }
            ByteStrings.requireNoNul(key, "xattr name");
            byte[] k = LibC.path(key);
            byte[] v = x.getValue();
            if (fd >= 0) {
                try {
                    fsetxattr(fd, k, v, v.length, 0);
                } catch (LastErrorException ex) {
                    xattrFailed(ex, key, what);
                }
            } else {
                setXattr(path, k, v, what);
            }
        }
    }

    void setXattr(byte[] path, byte[] k, byte[] v, String what) throws IOException {
        try {
            lsetxattr(path, k, v, v.length, 0);
        } catch (LastErrorException ex) {
            xattrFailed(ex, ByteStrings.of(k, 0, k.length - 1), what);
        }
    }

    private void xattrFailed(LastErrorException ex, String key, String what) throws IOException {
        int errno = ex.getErrorCode();
        // EOPNOTSUPP: the filesystem has no such namespace (as GNU tar, skip it).
        if (errno == EOPNOTSUPP || (errno == EPERM && options.ignorePrivilegeErrors())) {
            return;
        }
        throw new ErrnoException("setxattr " + ByteStrings.display(key), ByteStrings.display(what), errno);
    }

    static void utimes(int dirFd, byte[] n, long[] times, String what) throws IOException {
        try {
            utimensat(dirFd, n, times, AT_SYMLINK_NOFOLLOW);
        } catch (LastErrorException ex) {
            throw ErrnoException.of("utimensat", ByteStrings.display(what), ex);
        }
    }

    private void privileged(Syscall call, String op, String what) throws IOException {
        try {
            call.run();
        } catch (LastErrorException ex) {
            if (ex.getErrorCode() == EPERM && options.ignorePrivilegeErrors()) {
                return;
            }
            throw ErrnoException.of(op, ByteStrings.display(what), ex);
        }
    }

    @FunctionalInterface
    private interface Syscall {
        void run() throws LastErrorException;
    }

    /** {atime, mtime} as two timespecs; a tar without atime gets atime = mtime. */
    static long[] times(TarArchiveEntry e) {
        FileTime m = e.getLastModifiedTime();
        FileTime a = e.getLastAccessTime();
        Instant mi = m == null ? Instant.EPOCH : m.toInstant();
        Instant ai = a == null ? mi : a.toInstant();
        return new long[] {ai.getEpochSecond(), ai.getNano(), mi.getEpochSecond(), mi.getNano()};
    }

    /** A path that reaches (dirFd, name) without following a symlink at name: for the l*xattr calls. */
    static byte[] procPath(int dirFd, String name) {
        return path("/proc/self/fd/" + dirFd + "/" + name);
    }

    /** The process umask, read without changing it (umask(2) can only set it). */
    private static int currentUmask() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Umask:")) {
                    return Integer.parseInt(line.substring(6).trim(), 8);
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // fall through: assume the worst, so that every file gets an explicit fchmod
        }
        return 0777;
    }
}
