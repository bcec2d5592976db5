package dev.berth.unionfs.sys;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Direct-mapped glibc calls used by the layer applier and the tests. Internal to union-fs: not API.
 *
 * <p>Paths are passed as NUL-terminated {@code byte[]} (see {@link #path(String)}) rather than Java
 * strings so that the JVM's file-name encoding, which depends on the locale, never touches a name
 * taken from a layer. Direct mapping ({@link Native#register}) is used because it is several times
 * cheaper per call than JNA's interface proxies, and a layer of small files makes many calls.
 *
 * <p>Mount-related calls deliberately do not live here: only {@code LinuxMounter} mounts.
 */
public final class LibC {

    static {
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC() {}

    private static final boolean ARM = Platform.isARM() || Platform.ARCH.startsWith("aarch64");

    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_REMOVEDIR = 0x200;

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_NOCTTY = 0400;
    // O_DIRECTORY and O_NOFOLLOW are the two flags whose values differ between x86-64 and arm64.
    public static final int O_DIRECTORY = ARM ? 040000 : 0200000;
    public static final int O_NOFOLLOW = ARM ? 0100000 : 0400000;
    public static final int O_CLOEXEC = 02000000;
    public static final int O_PATH = 010000000;

    public static final int S_IFMT = 0170000;
    public static final int S_IFIFO = 0010000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EEXIST = 17;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ELOOP = 40;
    public static final int ENOTEMPTY = 39;
    public static final int ENODATA = 61;
    public static final int EOPNOTSUPP = 95;

    public static native int openat(int dirfd, byte[] path, int flags, int mode) throws LastErrorException;

    public static native int close(int fd) throws LastErrorException;

    public static native long write(int fd, Buffer buf, long count) throws LastErrorException;

    public static native long pwrite(int fd, Buffer buf, long count, long offset) throws LastErrorException;

    public static native int ftruncate(int fd, long length) throws LastErrorException;

    public static native int mkdirat(int dirfd, byte[] path, int mode) throws LastErrorException;

    public static native int mknodat(int dirfd, byte[] path, int mode, long dev) throws LastErrorException;

    public static native int symlinkat(byte[] target, int newdirfd, byte[] linkpath) throws LastErrorException;

    public static native int linkat(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, int flags)
            throws LastErrorException;

    public static native int unlinkat(int dirfd, byte[] path, int flags) throws LastErrorException;

    public static native long readlinkat(int dirfd, byte[] path, byte[] buf, long size) throws LastErrorException;

    public static native int fchown(int fd, int uid, int gid) throws LastErrorException;

    public static native int fchownat(int dirfd, byte[] path, int uid, int gid, int flags) throws LastErrorException;

    public static native int fchmod(int fd, int mode) throws LastErrorException;

    public static native int fchmodat(int dirfd, byte[] path, int mode, int flags) throws LastErrorException;

    /** {@code times} is two timespecs: {atimeSec, atimeNsec, mtimeSec, mtimeNsec}. */
    public static native int futimens(int fd, long[] times) throws LastErrorException;

    public static native int utimensat(int dirfd, byte[] path, long[] times, int flags) throws LastErrorException;

    public static native int fsetxattr(int fd, byte[] name, byte[] value, long size, int flags)
            throws LastErrorException;

    public static native int lsetxattr(byte[] path, byte[] name, byte[] value, long size, int flags)
            throws LastErrorException;

    public static native long lgetxattr(byte[] path, byte[] name, byte[] value, long size) throws LastErrorException;

    public static native int statx(int dirfd, byte[] path, int flags, int mask, byte[] statxbuf)
            throws LastErrorException;

    public static native Pointer fdopendir(int fd) throws LastErrorException;

    public static native Pointer readdir(Pointer dir) throws LastErrorException;

    public static native int closedir(Pointer dir) throws LastErrorException;

    public static native int geteuid();

    public static native int getegid();

    public static native String strerror(int errnum);

    /** A NUL-terminated copy of a byte string (one char per byte, see {@code ByteStrings}). */
    public static byte[] path(String byteString) {
        int n = byteString.length();
        byte[] out = new byte[n + 1];
        for (int i = 0; i < n; i++) {
            out[i] = (byte) byteString.charAt(i);
        }
        return out;
    }

    /** A NUL-terminated UTF-8 encoding of an ordinary Java string. */
    public static byte[] cString(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[utf8.length + 1];
        System.arraycopy(utf8, 0, out, 0, utf8.length);
        return out;
    }

    /** glibc's {@code makedev}: the 64-bit dev_t layout used on every Linux architecture. */
    public static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32)
                | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12)
                | (minor & 0xffL);
    }

    /** The subset of {@code struct statx} that union-fs needs. */
    public record Stat(
            int mode,
            int uid,
            int gid,
            long size,
            long blocks,
            int rdevMajor,
            int rdevMinor,
            long mtimeSec,
            int mtimeNsec) {
        public int type() {
            return mode & S_IFMT;
        }
    }

    private static final int STATX_BASIC_STATS = 0x7ff;

    /** statx without following a final symlink; the layout of struct statx is the same on all arches. */
    public static Stat lstatAt(int dirfd, byte[] path) throws LastErrorException {
        byte[] buf = new byte[256];
        statx(dirfd, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf);
        ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
        return new Stat(
                b.getShort(28) & 0xffff,
                b.getInt(20),
                b.getInt(24),
                b.getLong(40),
                b.getLong(48),
                b.getInt(128),
                b.getInt(132),
                b.getLong(112),
                b.getInt(120));
    }

    /** Message for an errno, as {@code "No such file or directory (errno 2)"}. */
    public static String describe(int errno) {
        String msg;
        try {
            msg = strerror(errno);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            msg = "error";
        }
        return msg + " (errno " + errno + ")";
    }
}
