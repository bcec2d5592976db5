package dev.berth.unionfs.mount;

import dev.berth.unionfs.sys.ErrnoException;

/** A failed mount(2) or umount2(2): the whole spec, for the log, and the errno. */
public class MountException extends ErrnoException {
    public MountException(String what, int errno) {
        super(what, "", errno);
    }
}
