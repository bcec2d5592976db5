package dev.berth.unionfs.mount;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import dev.berth.unionfs.sys.ErrnoException;
import dev.berth.unionfs.sys.LibC;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

/**
 * The only class that calls mount(2) and umount2(2).
 *
 * <p>Relative mounts. A {@link MountSpec} with a working directory names its paths relative to it.
 * The kernel resolves relative mount paths against the calling process's current directory, and a
 * JVM cannot change directory per thread, so the mount is made after a process-wide
 * {@code chdir(workingDirectory)} and followed by {@code fchdir} back, both under one global lock.
 * No process is forked. For that short window any other thread of this JVM that hands a relative
 * path to the kernel would see the wrong directory; Berth uses absolute paths everywhere (the JDK
 * itself resolves relative {@code Path}s against {@code user.dir} only for {@code toAbsolutePath}).
 */
final class LinuxMounter implements Mounter {

    static final LinuxMounter INSTANCE = new LinuxMounter();

    private static final Object CWD_LOCK = new Object();
    private static final int MNT_DETACH = 2;

    private static final class Sys {
        static {
            Native.register(Sys.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        static native int mount(byte[] source, byte[] target, byte[] fstype, long flags, byte[] data)
                throws LastErrorException;

        static native int umount2(byte[] target, int flags) throws LastErrorException;

        static native int chdir(byte[] path) throws LastErrorException;

        static native int fchdir(int fd) throws LastErrorException;
    }

    private LinuxMounter() {}

    @Override
    public void mount(MountSpec spec) throws IOException {
        byte[] target = LibC.cString(spec.target().toAbsolutePath().toString());
        if (spec.type().equals(MountSpec.BIND)) {
            bind(spec, target);
            return;
        }
        byte[] source = LibC.cString(spec.source());
        byte[] type = LibC.cString(spec.type());
        byte[] data = spec.options().isEmpty() ? null : LibC.cString(spec.data());
        long flags = MountFlag.bits(spec.flags());
        if (spec.workingDirectory().isEmpty()) {
            call("mount", spec, () -> Sys.mount(source, target, type, flags, data));
            return;
        }
        synchronized (CWD_LOCK) {
            int oldCwd;
            try {
                oldCwd = LibC.openat(
                        LibC.AT_FDCWD, LibC.cString("."), LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
            } catch (LastErrorException e) {
                throw ErrnoException.of("open", "current directory", e);
            }
            try {
                String dir = spec.workingDirectory().get().toAbsolutePath().toString();
                try {
                    Sys.chdir(LibC.cString(dir));
                } catch (LastErrorException e) {
                    throw ErrnoException.of("chdir", dir, e);
                }
                try {
                    call("mount", spec, () -> Sys.mount(source, target, type, flags, data));
                } finally {
                    Sys.fchdir(oldCwd);
                }
            } finally {
                LibC.close(oldCwd);
            }
        }
    }

    /**
     * The kernel ignores every flag but MS_REC on the first bind mount call; read-only and the other
     * per-mount flags need a second, remount call.
     */
    private void bind(MountSpec spec, byte[] target) throws IOException {
        byte[] source = LibC.cString(spec.source());
        Set<MountFlag> flags = spec.flags().isEmpty() ? EnumSet.noneOf(MountFlag.class) : EnumSet.copyOf(spec.flags());
        long first = MountFlag.BIND.bits() | (flags.contains(MountFlag.REC) ? MountFlag.REC.bits() : 0);
        call("bind mount", spec, () -> Sys.mount(source, target, null, first, null));
        flags.remove(MountFlag.BIND);
        flags.remove(MountFlag.REC);
        if (!flags.isEmpty()) {
            long again = MountFlag.bits(flags) | MountFlag.BIND.bits() | MountFlag.REMOUNT.bits();
            try {
                call("remount", spec, () -> Sys.mount(null, target, null, again, null));
            } catch (IOException e) {
                // Do not leave a writable bind mount behind when read-only was asked for.
                unmount(spec.target());
                throw e;
            }
        }
    }

    @Override
    public void unmount(Path target) throws IOException {
        String t = target.toAbsolutePath().toString();
        try {
            Sys.umount2(LibC.cString(t), MNT_DETACH);
        } catch (LastErrorException e) {
            throw ErrnoException.of("umount", t, e);
        }
    }

    @Override
    public boolean isMountPoint(Path path) throws IOException {
        return MountTable.isMountPoint(path);
    }

    @FunctionalInterface
    private interface Call {
        int run() throws LastErrorException;
    }

    private static void call(String what, MountSpec spec, Call call) throws IOException {
        try {
            call.run();
        } catch (LastErrorException e) {
            throw new MountException(what + " " + spec, e.getErrorCode());
        }
    }
}
