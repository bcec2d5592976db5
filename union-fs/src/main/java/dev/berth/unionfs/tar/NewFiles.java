package dev.berth.unionfs.tar;

import static dev.berth.unionfs.sys.LibC.*;

import com.sun.jna.LastErrorException;
import dev.berth.unionfs.sys.ErrnoException;
import dev.berth.unionfs.sys.LibC;
import dev.berth.unionfs.tar.FileWriterPool.SmallFile;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Creates regular files whose path does not exist yet, content and metadata included: the writer
 * threads' whole job, and the reader's when the writers fall behind. Reads only final fields, so any
 * thread may call it.
 */
final class NewFiles implements FileWriterPool.Writer {

    /** Never follows, never truncates, never opens what is there: a new file or a failure. */
    static final int FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;

    private final Attributes attributes;

    NewFiles(Attributes attributes) {
        this.attributes = attributes;
    }

    /** Creates {@code f}, writing its content through {@code buffer} (a direct buffer). */
    @Override
    public void write(SmallFile f, ByteBuffer buffer) throws IOException {
        int fd;
        try {
            fd = openat(f.dir.fd(), f.name, FLAGS, f.mode & 0777);
        } catch (LastErrorException ex) {
            throw ErrnoException.of("openat", ByteStrings.display(f.entry), ex);
        }
        try {
            int done = 0;
            while (done < f.data.length) {
                int n = Math.min(buffer.capacity(), f.data.length - done);
                buffer.clear();
                buffer.put(f.data, done, n);
                writeFully(fd, buffer, n, -1, f.entry);
                done += n;
            }
            attributes.setMetadata(fd, f.uid, f.gid, f.mode, f.xattrs, f.times, f.entry);
        } finally {
            RootFs.closeQuietly(fd);
        }
    }

    /** Writes the first {@code length} bytes of {@code buf} (a direct buffer), at {@code offset} if >= 0. */
    static void writeFully(int fd, ByteBuffer buf, int length, long offset, String what) throws IOException {
        int done = 0;
        while (done < length) {
            buf.position(done);
            long w;
            try {
                w = offset < 0
                        ? LibC.write(fd, buf.slice(), length - done)
                        : pwrite(fd, buf.slice(), length - done, offset + done);
            } catch (LastErrorException ex) {
                throw ErrnoException.of("write", ByteStrings.display(what), ex);
            }
            done += (int) w;
        }
    }
}
