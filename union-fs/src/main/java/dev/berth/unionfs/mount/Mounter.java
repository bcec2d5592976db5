package dev.berth.unionfs.mount;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Carries out {@link MountSpec}s. Planning is {@link MountPlanner}'s job and is pure; this is the one
 * place that changes the mount table, so that tests of everything else can use a fake.
 */
public interface Mounter {

    /** Mounts as the spec says; the target directory must exist. */
    void mount(MountSpec spec) throws IOException;

    /** Detaches the mount at {@code target} (lazy unmount: busy files keep it alive until closed). */
    void unmount(Path target) throws IOException;

    /** Whether {@code path} is the mount point of some mount, according to /proc/self/mountinfo. */
    boolean isMountPoint(Path path) throws IOException;

    /** The Linux implementation, making the system calls through JNA. */
    static Mounter linux() {
        return LinuxMounter.INSTANCE;
    }
}
