package dev.berth.unionfs.sys;

import com.sun.jna.LastErrorException;
import java.io.IOException;

/**
 * A failed system call: the call's name, the path it acted on and the errno, so that a log line such
 * as {@code "mkdirat usr/lib: Permission denied (errno 13)"} says everything.
 */
public class ErrnoException extends IOException {

    private final int errno;

    public ErrnoException(String call, String path, int errno) {
        super(call + " " + path + ": " + LibC.describe(errno));
        this.errno = errno;
    }

    public static ErrnoException of(String call, String path, LastErrorException e) {
        return new ErrnoException(call, path, e.getErrorCode());
    }

    public int errno() {
        return errno;
    }
}
