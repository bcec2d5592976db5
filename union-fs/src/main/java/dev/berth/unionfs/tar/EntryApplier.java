package dev.berth.unionfs.tar;

import static dev.berth.unionfs.sys.LibC.*;

import com.sun.jna.LastErrorException;
import dev.berth.unionfs.sys.ErrnoException;
import dev.berth.unionfs.tar.FileWriterPool.SmallFile;
import dev.berth.unionfs.tar.HeaderTap.RawPax;
import dev.berth.unionfs.tar.RootFs.Dir;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveStructSparse;

/**
 * What each tar entry becomes on disk: directories, regular and sparse files, symlinks, hardlinks,
 * devices and fifos, whiteouts and opaque markers, with the rules of the package comment. One per
 * apply, on the reading thread; before it acts on a path it asks {@link WriterOrder} to wait for a
 * writer thread still busy there, and it hands small new files to the writers through it.
 */
final class EntryApplier {

    private static final String WHITEOUT_PREFIX = ".wh.";
    private static final String WHITEOUT_META_PREFIX = ".wh..wh.";
    private static final String WHITEOUT_OPAQUE = ".wh..wh..opq";
    private static final byte[] OPAQUE_XATTR = cString("trusted.overlay.opaque");
    private static final byte[] OPAQUE_YES = {'y'};

    /** A directory whose mode and times are set after all entries. */
    private record PendingDir(String parent, String name, int mode, long[] times) {}

    private final ApplyOptions options;
    private final RootFs fs;
    private final LayerTarInputStream tar;
    private final Attributes attributes;
    private final NewFiles newFiles;
    private final WriterOrder order;
    private final byte[] heap;
    private final ByteBuffer direct;
    private final List<PendingDir> pendingDirs = new ArrayList<>();
    private long entries;
    private long bytes;

    EntryApplier(ApplyOptions options, RootFs fs, LayerTarInputStream tar) throws IOException {
        this.options = options;
        this.fs = fs;
        this.tar = tar;
        this.attributes = new Attributes(options, fs.rootFd());
        this.newFiles = new NewFiles(attributes);
        this.order = new WriterOrder(options, fs, newFiles);
        this.heap = new byte[options.bufferSize()];
        this.direct = ByteBuffer.allocateDirect(options.bufferSize());
    }

    long entries() {
        return entries;
    }

    long bytes() {
        return bytes;
    }

    /** A scratch buffer of {@link ApplyOptions#bufferSize()} bytes, for reading what follows the entries. */
    byte[] scratch() {
        return heap;
    }

    /** Every file written and every directory's mode and times set; throws the first writer failure. */
    void finish() throws IOException {
        order.awaitAll();
        finishDirectories();
    }

    /** Stops and joins the writers; returns the earliest failure of a writer, if any. Idempotent. */
    Throwable stopWriters() {
        return order.stopWriters();
    }

    void apply(TarArchiveEntry e, RawPax pax) throws IOException {
        entries++;
        order.checkFailure(); // fail fast
        String name = pax.sparseName() != null ? pax.sparseName() : pax.path() != null ? pax.path() : e.getName();
        ByteStrings.requireNoNul(name, "name");
        List<String> parts = ByteStrings.clean(name);
        if (parts.isEmpty()) {
            applyRoot(e, pax);
            return;
        }
        String base = parts.get(parts.size() - 1);
        String parent = parts.size() == 1 ? "" : ByteStrings.join(parts, 0, parts.size() - 1);
        if (base.startsWith(WHITEOUT_PREFIX)) {
            whiteout(e, parent, base, name);
            return;
        }
        Dir dir = fs.dir(parent);
        byte flag = e.getLinkFlag();
        if (e.isDirectory()) {
            order.claim(dir, base);
            directory(e, pax, dir, parent, base);
        } else if (flag == '2') {
            order.claim(dir, base);
            symlink(e, pax, dir, base);
        } else if (flag == '1') {
            order.claim(dir, base);
            hardlink(e, pax, dir, base, name);
        } else if (flag == '3' || flag == '4' || flag == '6') {
            order.claim(dir, base);
            special(e, pax, dir, base, flag);
        } else if (flag == '0' || flag == 0 || flag == '7' || flag == 'S') {
            if (order.mayHandOff(dir, base, e)) {
                handOff(e, pax, dir, base, name);
            } else {
                order.claim(dir, base);
                regular(e, pax, dir, base, name);
            }
        } else {
            throw new LayerFormatException(
                    "unsupported tar entry type '" + (char) flag + "' for " + ByteStrings.display(name));
        }
    }

    // ---- entry kinds -------------------------------------------------------------------------

    private void applyRoot(TarArchiveEntry e, RawPax pax) throws IOException {
        if (!e.isDirectory()) {
            throw new LayerFormatException(
                    "the layer root must be a directory, got type '" + (char) e.getLinkFlag() + "'");
        }
        byte[] dot = path(".");
        attributes.chown(fs.rootFd(), dot, e, ".");
        attributes.setXattrs(-1, Attributes.procPath(fs.rootFd(), "."), pax.xattrs(), ".");
        pendingDirs.add(new PendingDir(null, ".", e.getMode() & 07777, Attributes.times(e)));
    }

    private void directory(TarArchiveEntry e, RawPax pax, Dir dir, String parent, String base) throws IOException {
        byte[] n = path(base);
        try {
            mkdirat(dir.fd(), n, 0755);
            order.madeDirectory(dir.real().isEmpty() ? base : dir.real() + "/" + base);
        } catch (LastErrorException ex) {
            if (ex.getErrorCode() != EEXIST) {
                throw ErrnoException.of("mkdirat", display(parent, base), ex);
            }
            Stat st = lstatAt(dir.fd(), n);
            if (st.type() != S_IFDIR) {
                fs.removeAll(dir, base);
                mkdir(dir, n, parent, base);
                order.madeDirectory(dir.real().isEmpty() ? base : dir.real() + "/" + base);
            }
        }
        String what = parent.isEmpty() ? base : parent + "/" + base;
        attributes.chown(dir.fd(), n, e, what);
        attributes.setXattrs(-1, Attributes.procPath(dir.fd(), base), pax.xattrs(), what);
        pendingDirs.add(new PendingDir(parent, base, e.getMode() & 07777, Attributes.times(e)));
    }

    private void mkdir(Dir dir, byte[] n, String parent, String base) throws IOException {
        try {
            mkdirat(dir.fd(), n, 0755);
        } catch (LastErrorException ex) {
            throw ErrnoException.of("mkdirat", display(parent, base), ex);
        }
    }

    /**
     * Copies a small regular file whose path {@link WriterOrder#mayHandOff} found new out of the stream,
     * and hands it to the writers, or writes it here when they have enough to do.
     */
    private void handOff(TarArchiveEntry e, RawPax pax, Dir dir, String base, String name) throws IOException {
        int size = (int) e.getSize();
        byte[] data = new byte[size];
        if (tar.readNBytes(data, 0, size) != size) {
            throw new LayerFormatException("entry " + ByteStrings.display(name) + " ends early");
        }
        bytes += size;
        SmallFile f = new SmallFile(
                entries,
                dir,
                path(base),
                name,
                data,
                e.getMode() & 07777,
                (int) e.getLongUserId(),
                (int) e.getLongGroupId(),
                Attributes.times(e),
                pax.xattrs());
        if (!order.offer(f, base)) {
            newFiles.write(f, direct);
        }
    }

    private void regular(TarArchiveEntry e, RawPax pax, Dir dir, String base, String name) throws IOException {
        byte[] n = path(base);
        int fd = create(dir, base, n, e.getMode() & 0777);
        try {
            if (e.isSparse()) {
                writeSparse(fd, e, name);
            } else {
                writeAll(fd, name);
            }
            attributes.setMetadata(
                    fd,
                    (int) e.getLongUserId(),
                    (int) e.getLongGroupId(),
                    e.getMode() & 07777,
                    pax.xattrs(),
                    Attributes.times(e),
                    name);
        } finally {
            RootFs.closeQuietly(fd);
        }
    }

    private int create(Dir dir, String base, byte[] n, int perm) throws IOException {
        try {
            return openat(dir.fd(), n, NewFiles.FLAGS, perm);
        } catch (LastErrorException ex) {
            if (ex.getErrorCode() != EEXIST) {
                throw ErrnoException.of("openat", display(dir.real(), base), ex);
            }
        }
        // Replace, never write through: the old entry may be a symlink pointing anywhere.
        fs.removeAll(dir, base);
        try {
            return openat(dir.fd(), n, NewFiles.FLAGS, perm);
        } catch (LastErrorException ex) {
            throw ErrnoException.of("openat", display(dir.real(), base), ex);
        }
    }

    private void writeAll(int fd, String what) throws IOException {
        int r;
        while ((r = tar.read(heap, 0, heap.length)) > 0) {
            direct.clear();
            direct.put(heap, 0, r);
            NewFiles.writeFully(fd, direct, r, -1, what);
            bytes += r;
        }
    }

    /**
     * Writes only the data segments of a sparse entry at their offsets, leaving holes where the
     * archive has none, then sets the real size. commons-compress hands us the expanded content, so
     * the zeros between segments are skipped rather than written.
     */
    private void writeSparse(int fd, TarArchiveEntry e, String what) throws IOException {
        long pos = 0;
        for (TarArchiveStructSparse seg : e.getOrderedSparseHeaders()) {
            if (seg.getNumbytes() == 0) {
                continue;
            }
            skipFully(seg.getOffset() - pos);
            pos = seg.getOffset();
            long left = seg.getNumbytes();
            while (left > 0) {
                int r = tar.read(heap, 0, (int) Math.min(heap.length, left));
                if (r < 0) {
                    throw new LayerFormatException("sparse entry " + ByteStrings.display(what) + " ends early");
                }
                direct.clear();
                direct.put(heap, 0, r);
                NewFiles.writeFully(fd, direct, r, pos, what);
                pos += r;
                left -= r;
            }
        }
        try {
            ftruncate(fd, e.getRealSize());
        } catch (LastErrorException ex) {
            throw ErrnoException.of("ftruncate", ByteStrings.display(what), ex);
        }
        bytes += e.getRealSize();
    }

    private void skipFully(long n) throws IOException {
        while (n > 0) {
            long s = tar.skip(n);
            if (s <= 0) {
                int r = tar.read(heap, 0, (int) Math.min(heap.length, n));
                if (r < 0) {
                    throw new LayerFormatException("sparse entry ends early");
                }
                s = r;
            }
            n -= s;
        }
    }

    private void symlink(TarArchiveEntry e, RawPax pax, Dir dir, String base) throws IOException {
        String target = pax.linkPath() != null ? pax.linkPath() : e.getLinkName();
        ByteStrings.requireNoNul(target, "symlink target");
        byte[] n = path(base);
        byte[] t = path(target);
        try {
            symlinkat(t, dir.fd(), n);
        } catch (LastErrorException ex) {
            if (ex.getErrorCode() != EEXIST) {
                throw ErrnoException.of("symlinkat", display(dir.real(), base), ex);
            }
            fs.removeAll(dir, base);
            try {
                symlinkat(t, dir.fd(), n);
            } catch (LastErrorException ex2) {
                throw ErrnoException.of("symlinkat", display(dir.real(), base), ex2);
            }
        }
        attributes.chown(dir.fd(), n, e, base);
        attributes.setXattrs(-1, Attributes.procPath(dir.fd(), base), pax.xattrs(), base);
        Attributes.utimes(dir.fd(), n, Attributes.times(e), base);
    }

    private void hardlink(TarArchiveEntry e, RawPax pax, Dir dir, String base, String name) throws IOException {
        String target = pax.linkPath() != null ? pax.linkPath() : e.getLinkName();
        ByteStrings.requireNoNul(target, "hardlink target");
        List<String> tparts = ByteStrings.clean(target);
        if (tparts.isEmpty()) {
            throw new LayerFormatException("hardlink " + ByteStrings.display(name) + " points at the layer root");
        }
        String tparent = tparts.size() == 1 ? "" : ByteStrings.join(tparts, 0, tparts.size() - 1);
        String tbase = tparts.get(tparts.size() - 1);
        Dir tdir;
        try {
            tdir = fs.existingDir(tparent);
        } catch (ErrnoException ex) {
            throw missingTarget(name, target);
        }
        // The target may be a file still being written.
        order.claim(tdir, tbase);
        byte[] tn = path(tbase);
        byte[] n = path(base);
        for (int attempt = 0; ; attempt++) {
            try {
                linkat(tdir.fd(), tn, dir.fd(), n, 0);
                return;
            } catch (LastErrorException ex) {
                if (ex.getErrorCode() == ENOENT) {
                    throw missingTarget(name, target);
                }
                if (ex.getErrorCode() != EEXIST || attempt > 0) {
                    throw ErrnoException.of("linkat", ByteStrings.display(name), ex);
                }
            }
            if (tdir.fd() == dir.fd() && tbase.equals(base)) {
                return; // a link to itself: already there
            }
            fs.removeAll(dir, base);
            // removeAll may have dropped the cached target directory.
            tdir = fs.existingDir(tparent);
        }
    }

    private static LayerFormatException missingTarget(String name, String target) {
        return new LayerFormatException("hardlink " + ByteStrings.display(name) + " -> " + ByteStrings.display(target)
                + ": target does not exist inside the layer");
    }

    private void special(TarArchiveEntry e, RawPax pax, Dir dir, String base, byte flag) throws IOException {
        int type = flag == '3' ? S_IFCHR : flag == '4' ? S_IFBLK : S_IFIFO;
        if (type != S_IFIFO && !options.createDeviceNodes()) {
            return;
        }
        long dev = type == S_IFIFO ? 0 : makedev(e.getDevMajor(), e.getDevMinor());
        byte[] n = path(base);
        if (!mknod(dir, base, n, type | (e.getMode() & 0777), dev)) {
            return;
        }
        attributes.chown(dir.fd(), n, e, base);
        try {
            fchmodat(dir.fd(), n, e.getMode() & 07777, 0);
        } catch (LastErrorException ex) {
            throw ErrnoException.of("fchmodat", ByteStrings.display(base), ex);
        }
        attributes.setXattrs(-1, Attributes.procPath(dir.fd(), base), pax.xattrs(), base);
        Attributes.utimes(dir.fd(), n, Attributes.times(e), base);
    }

    /** Creates a node, replacing what is there. False when skipped for lack of privilege. */
    private boolean mknod(Dir dir, String base, byte[] n, int mode, long dev) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                mknodat(dir.fd(), n, mode, dev);
                return true;
            } catch (LastErrorException ex) {
                if (ex.getErrorCode() == EPERM && options.ignorePrivilegeErrors()) {
                    return false;
                }
                if (ex.getErrorCode() != EEXIST || attempt > 0) {
                    throw ErrnoException.of("mknodat", display(dir.real(), base), ex);
                }
            }
            fs.removeAll(dir, base);
        }
    }

    private void whiteout(TarArchiveEntry e, String parent, String base, String name) throws IOException {
        if (base.equals(WHITEOUT_OPAQUE)) {
            Dir dir = fs.dir(parent);
            attributes.setXattr(
                    Attributes.procPath(dir.fd(), "."), OPAQUE_XATTR, OPAQUE_YES, parent.isEmpty() ? "/" : parent);
            return;
        }
        if (base.startsWith(WHITEOUT_META_PREFIX)) {
            return; // other AUFS metadata (.wh..wh.plnk, .wh..wh.aufs) means nothing to overlayfs
        }
        String original = base.substring(WHITEOUT_PREFIX.length());
        if (original.isEmpty() || original.equals(".") || original.equals("..")) {
            throw new LayerFormatException("invalid whiteout name " + ByteStrings.display(name));
        }
        Dir dir = fs.dir(parent);
        order.claim(dir, original);
        byte[] n = path(original);
        // Overlayfs's whiteout: a character device with device number 0:0.
        if (!mknod(dir, original, n, S_IFCHR, 0)) {
            return;
        }
        attributes.chown(dir.fd(), n, e, original);
    }

    /** Directory modes and times, set after every entry so that creating children cannot change them. */
    private void finishDirectories() throws IOException {
        for (int i = 0; i < pendingDirs.size(); i++) { // in tar order: a later entry for the same directory wins
            PendingDir d = pendingDirs.get(i);
            int dirFd;
            if (d.parent() == null) {
                dirFd = fs.rootFd();
            } else {
                try {
                    dirFd = fs.existingDir(d.parent()).fd();
                } catch (ErrnoException gone) {
                    continue; // replaced later in the layer
                }
            }
            byte[] n = path(d.name());
            try {
                if (lstatAt(dirFd, n).type() != S_IFDIR) {
                    continue;
                }
                fchmodat(dirFd, n, d.mode(), 0);
                utimensat(dirFd, n, d.times(), AT_SYMLINK_NOFOLLOW);
            } catch (LastErrorException ex) {
                if (ex.getErrorCode() == ENOENT) {
                    continue;
                }
                throw ErrnoException.of("set directory metadata", ByteStrings.display(d.name()), ex);
            }
            fs.endEntry();
        }
    }

    private static String display(String parent, String base) {
        return ByteStrings.display(parent.isEmpty() ? base : parent + "/" + base);
    }
}
