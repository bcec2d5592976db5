package dev.berth.unionfs.mount;

/** The mount(2) flags Berth uses, with their Linux values ({@code MS_*} in linux/mount.h). */
public enum MountFlag {
    RDONLY(1L),
    NOSUID(2L),
    NODEV(4L),
    NOEXEC(8L),
    REMOUNT(32L),
    NOATIME(1024L),
    BIND(4096L),
    REC(16384L),
    PRIVATE(1L << 18);

    private final long bits;

    MountFlag(long bits) {
        this.bits = bits;
    }

    public long bits() {
        return bits;
    }

    static long bits(Iterable<MountFlag> flags) {
        long b = 0;
        for (MountFlag f : flags) {
            b |= f.bits;
        }
        return b;
    }
}
