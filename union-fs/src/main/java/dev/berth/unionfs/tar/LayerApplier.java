package dev.berth.unionfs.tar;

import static dev.berth.unionfs.sys.LibC.*;

import com.sun.jna.LastErrorException;
import dev.berth.unionfs.sys.ErrnoException;
import dev.berth.unionfs.sys.LibC;
import dev.berth.unionfs.tar.HeaderTap.RawPax;
import dev.berth.unionfs.tar.RootFs.Dir;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveStructSparse;

/**
 * Applies an uncompressed OCI layer tar into an empty layer directory, the {@code diff/} of an
 * overlay2 layer, in one pass over the stream.
 *
 * <p>Vocabulary. A <em>layer</em> is a tar of changes to the layers below it. A <em>whiteout</em>
 * ({@code .wh.NAME}) says NAME was deleted; an <em>opaque whiteout</em> ({@code .wh..wh..opq}) says
 * the directory holding it hides everything the lower layers have there. Overlayfs has its own forms
 * of both, and this applier writes those: a character device 0:0 named NAME, and the xattr
 * {@code trusted.overlay.opaque=y} on the directory. The <em>layer root</em> is the directory being
 * written; every name, and every symlink met while resolving a parent, is resolved as if it were
 * "/", so a layer can never write outside it (see {@link RootFs}).
 *
 * <p>Rules, the same as containerd's and GNU tar's where they agree:
 * <ul>
 *   <li>Names are cleaned lexically ("..", "." and leading "/" cannot leave the root); symlinks in
 *       parents are followed inside the root; the final component is never followed, an existing
 *       entry there is replaced, except that a directory entry over a directory only updates it.</li>
 *   <li>Symlink targets are stored as they are; they may point anywhere, since only readers follow
 *       them, and readers of a container root resolve them inside it.</li>
 *   <li>A hardlink's target is resolved inside the root and must already exist in this layer;
 *       otherwise the apply fails with {@link LayerFormatException}.</li>
 *   <li>Ownership is set before the mode, because chown clears setuid/setgid, and before the
 *       xattrs, because chown also drops {@code security.capability}. Directory modes and times are
 *       set last, after every entry, so that writing children does not disturb them.</li>
 *   <li>{@code trusted.overlay.*} and {@code user.overlay.*} xattrs in the tar are dropped: they
 *       steer overlayfs itself and only this applier may write them.</li>
 * </ul>
 *
 * <p>The stream is read to its end (so that a digest-verifying wrapper sees every byte) but not
 * closed. With {@link ApplyOptions#readAhead()} (the default) it is read on a helper thread, so that
 * its decompression overlaps with writing files. Instances are immutable and thread-safe;
 * concurrent applies must use different roots.
 */
public final class LayerApplier {

  private static final String WHITEOUT_PREFIX = ".wh.";
  private static final String WHITEOUT_META_PREFIX = ".wh..wh.";
  private static final String WHITEOUT_OPAQUE = ".wh..wh..opq";
  private static final byte[] OPAQUE_XATTR = cString("trusted.overlay.opaque");
  private static final byte[] OPAQUE_YES = {'y'};

  private final ApplyOptions options;

  public LayerApplier(ApplyOptions options) {
    this.options = Objects.requireNonNull(options, "options");
  }

  public LayerApplier() {
    this(ApplyOptions.defaults());
  }

  public ApplyOptions options() {
    return options;
  }

  /**
   * Applies the tar to {@code layerRoot}, which must exist and should be empty.
   *
   * @throws LayerFormatException when the tar contains an entry that cannot be applied safely
   * @throws ErrnoException when a system call fails (errno and path in the message)
   */
  public ApplyResult apply(InputStream uncompressedTar, Path layerRoot) throws IOException {
    long start = System.nanoTime();
    InputStream source = options.readAhead() ? new ReadAhead(uncompressedTar)
        : new BufferedInputStream(uncompressedTar, 1 << 16);
    HeaderTap tap = new HeaderTap(source);
    // ISO-8859-1 keeps ustar and GNU long names byte-exact (see ByteStrings).
    TarArchiveInputStream tar = new TarArchiveInputStream(tap, "ISO-8859-1");
    try (RootFs fs = new RootFs(layerRoot)) {
      Session s = new Session(fs, tar);
      while (true) {
        tap.begin();
        TarArchiveEntry e = tar.getNextEntry();
        RawPax pax = tap.end();
        if (e == null) {
          break;
        }
        s.entries++;
        s.apply(e, pax);
        s.drainEntry();
        fs.endEntry();
      }
      s.finishDirectories();
      // Trailing blocks and whatever follows the end-of-archive marker.
      byte[] rest = s.heap;
      while (tap.read(rest, 0, rest.length) >= 0) {
        // discard
      }
      return new ApplyResult(s.entries, s.bytes, Duration.ofNanos(System.nanoTime() - start));
    } finally {
      if (source instanceof ReadAhead r) {
        r.close();
      }
    }
  }

  /** A directory whose mode and times are set after all entries. */
  private record PendingDir(String parent, String name, int mode, long[] times) {}

  /** Per-apply state: one thread, one root. */
  private final class Session {
    final RootFs fs;
    final TarArchiveInputStream tar;
    final byte[] heap = new byte[options.bufferSize()];
    final ByteBuffer direct = ByteBuffer.allocateDirect(options.bufferSize());
    final List<PendingDir> pendingDirs = new ArrayList<>();
    /**
     * Most files in a layer are root:root 0644 or 0755. Created with their permission bits by a
     * root process, they already are exactly that, and skipping fchown and fchmod saves a third of
     * the system calls of a small file. Valid because the umask is known and no directory has the
     * setgid bit while we write (directory modes are set at the end; only the root could have it).
     */
    final int umask;
    final boolean createdOwnedByRoot;
    long entries;
    long bytes;

    Session(RootFs fs, TarArchiveInputStream tar) throws IOException {
      this.fs = fs;
      this.tar = tar;
      this.umask = currentUmask();
      Stat root;
      try {
        root = lstatAt(fs.rootFd(), path("."));
      } catch (LastErrorException ex) {
        throw ErrnoException.of("stat", "layer root", ex);
      }
      this.createdOwnedByRoot = geteuid() == 0 && getegid() == 0 && (root.mode() & 02000) == 0;
    }

    void apply(TarArchiveEntry e, RawPax pax) throws IOException {
      String name = pax.sparseName() != null ? pax.sparseName() : pax.path() != null ? pax.path() : e.getName();
      checkNoNul(name, "name");
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
        directory(e, pax, dir, parent, base);
      } else if (flag == '2') {
        symlink(e, pax, dir, base);
      } else if (flag == '1') {
        hardlink(e, pax, dir, base, name);
      } else if (flag == '3' || flag == '4' || flag == '6') {
        special(e, pax, dir, base, flag);
      } else if (flag == '0' || flag == 0 || flag == '7' || flag == 'S') {
        regular(e, pax, dir, base);
      } else {
        throw new LayerFormatException("unsupported tar entry type '" + (char) flag + "' for "
            + ByteStrings.display(name));
      }
    }

    // ---- entry kinds -------------------------------------------------------------------------

    private void applyRoot(TarArchiveEntry e, RawPax pax) throws IOException {
      if (!e.isDirectory()) {
        throw new LayerFormatException("the layer root must be a directory, got type '"
            + (char) e.getLinkFlag() + "'");
      }
      byte[] dot = path(".");
      chown(fs.rootFd(), dot, e, ".");
      setXattrs(-1, procPath(fs.rootFd(), "."), pax, ".");
      pendingDirs.add(new PendingDir(null, ".", e.getMode() & 07777, times(e)));
    }

    private void directory(TarArchiveEntry e, RawPax pax, Dir dir, String parent, String base)
        throws IOException {
      byte[] n = path(base);
      try {
        mkdirat(dir.fd(), n, 0755);
      } catch (LastErrorException ex) {
        if (ex.getErrorCode() != EEXIST) {
          throw ErrnoException.of("mkdirat", display(parent, base), ex);
        }
        Stat st = lstatAt(dir.fd(), n);
        if (st.type() != S_IFDIR) {
          fs.removeAll(dir, base);
          mkdir(dir, n, parent, base);
        }
      }
      chown(dir.fd(), n, e, display(parent, base));
      setXattrs(-1, procPath(dir.fd(), base), pax, display(parent, base));
      pendingDirs.add(new PendingDir(parent, base, e.getMode() & 07777, times(e)));
    }

    private void mkdir(Dir dir, byte[] n, String parent, String base) throws IOException {
      try {
        mkdirat(dir.fd(), n, 0755);
      } catch (LastErrorException ex) {
        throw ErrnoException.of("mkdirat", display(parent, base), ex);
      }
    }

    private void regular(TarArchiveEntry e, RawPax pax, Dir dir, String base) throws IOException {
      byte[] n = path(base);
      int fd = create(dir, base, n, e.getMode() & 0777);
      try {
        if (e.isSparse()) {
          writeSparse(fd, e, base);
        } else {
          writeAll(fd, base);
        }
        int uid = (int) e.getLongUserId();
        int gid = (int) e.getLongGroupId();
        if (options.preserveOwnership() && !(uid == 0 && gid == 0 && createdOwnedByRoot)) {
          privileged(() -> fchown(fd, uid, gid), "fchown", base);
        }
        int mode = e.getMode() & 07777;
        if ((mode & ~0777) != 0 || (mode & umask) != 0) {
          try {
            fchmod(fd, mode);
          } catch (LastErrorException ex) {
            throw ErrnoException.of("fchmod", ByteStrings.display(base), ex);
          }
        }
        setXattrs(fd, null, pax, base);
        try {
          futimens(fd, times(e));
        } catch (LastErrorException ex) {
          throw ErrnoException.of("futimens", ByteStrings.display(base), ex);
        }
      } finally {
        RootFs.closeQuietly(fd);
      }
    }

    private int create(Dir dir, String base, byte[] n, int perm) throws IOException {
      int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
      try {
        return openat(dir.fd(), n, flags, perm);
      } catch (LastErrorException ex) {
        if (ex.getErrorCode() != EEXIST) {
          throw ErrnoException.of("openat", display(dir.real(), base), ex);
        }
      }
      // Replace, never write through: the old entry may be a symlink pointing anywhere.
      fs.removeAll(dir, base);
      try {
        return openat(dir.fd(), n, flags, perm);
      } catch (LastErrorException ex) {
        throw ErrnoException.of("openat", display(dir.real(), base), ex);
      }
    }

    private void writeAll(int fd, String base) throws IOException {
      int r;
      while ((r = tar.read(heap, 0, heap.length)) > 0) {
        writeFully(fd, r, -1, base);
        bytes += r;
      }
    }

    /**
     * Writes only the data segments of a sparse entry at their offsets, leaving holes where the
     * archive has none, then sets the real size. commons-compress hands us the expanded content, so
     * the zeros between segments are skipped rather than written.
     */
    private void writeSparse(int fd, TarArchiveEntry e, String base) throws IOException {
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
            throw new LayerFormatException("sparse entry " + ByteStrings.display(base) + " ends early");
          }
          writeFully(fd, r, pos, base);
          pos += r;
          left -= r;
        }
      }
      try {
        ftruncate(fd, e.getRealSize());
      } catch (LastErrorException ex) {
        throw ErrnoException.of("ftruncate", ByteStrings.display(base), ex);
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

    private void writeFully(int fd, int length, long offset, String base) throws IOException {
      direct.clear();
      direct.put(heap, 0, length);
      int done = 0;
      while (done < length) {
        direct.position(done);
        long w;
        try {
          w = offset < 0 ? write(fd, direct.slice(), length - done) : pwrite(fd, direct.slice(), length - done,
              offset + done);
        } catch (LastErrorException ex) {
          throw ErrnoException.of("write", ByteStrings.display(base), ex);
        }
        done += (int) w;
      }
    }

    private void symlink(TarArchiveEntry e, RawPax pax, Dir dir, String base) throws IOException {
      String target = pax.linkPath() != null ? pax.linkPath() : e.getLinkName();
      checkNoNul(target, "symlink target");
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
      chown(dir.fd(), n, e, base);
      setXattrs(-1, procPath(dir.fd(), base), pax, base);
      utimes(dir.fd(), n, times(e), base);
    }

    private void hardlink(TarArchiveEntry e, RawPax pax, Dir dir, String base, String name) throws IOException {
      String target = pax.linkPath() != null ? pax.linkPath() : e.getLinkName();
      checkNoNul(target, "hardlink target");
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

    private LayerFormatException missingTarget(String name, String target) {
      return new LayerFormatException("hardlink " + ByteStrings.display(name) + " -> "
          + ByteStrings.display(target) + ": target does not exist inside the layer");
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
      chown(dir.fd(), n, e, base);
      try {
        fchmodat(dir.fd(), n, e.getMode() & 07777, 0);
      } catch (LastErrorException ex) {
        throw ErrnoException.of("fchmodat", ByteStrings.display(base), ex);
      }
      setXattrs(-1, procPath(dir.fd(), base), pax, base);
      utimes(dir.fd(), n, times(e), base);
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
        setXattr(procPath(dir.fd(), "."), OPAQUE_XATTR, OPAQUE_YES, parent.isEmpty() ? "/" : parent);
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
      byte[] n = path(original);
      // Overlayfs's whiteout: a character device with device number 0:0.
      if (!mknod(dir, original, n, S_IFCHR, 0)) {
        return;
      }
      chown(dir.fd(), n, e, original);
    }

    // ---- metadata ----------------------------------------------------------------------------

    private void chown(int dirFd, byte[] n, TarArchiveEntry e, String what) throws IOException {
      if (!options.preserveOwnership()) {
        return;
      }
      privileged(() -> fchownat(dirFd, n, (int) e.getLongUserId(), (int) e.getLongGroupId(), AT_SYMLINK_NOFOLLOW),
          "lchown", what);
    }

    private void setXattrs(int fd, byte[] path, RawPax pax, String what) throws IOException {
      if (pax.xattrs().isEmpty()) {
        return;
      }
      for (Map.Entry<String, byte[]> x : pax.xattrs().entrySet()) {
        String key = x.getKey();
        if (key.startsWith("trusted.overlay.") || key.startsWith("user.overlay.")) {
          continue;
        }
        checkNoNul(key, "xattr name");
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

    private void setXattr(byte[] path, byte[] k, byte[] v, String what) throws IOException {
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

    private void utimes(int dirFd, byte[] n, long[] times, String what) throws IOException {
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

    /** Directory modes and times, set after every entry so that creating children cannot change them. */
    void finishDirectories() throws IOException {
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

    /** Reads whatever the applier did not consume, so the next header is found at a known offset. */
    void drainEntry() throws IOException {
      while (tar.read(heap, 0, heap.length) >= 0) {
        // discard
      }
    }
  }

  @FunctionalInterface
  private interface Syscall {
    void run() throws LastErrorException;
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

  /** {atime, mtime} as two timespecs; a tar without atime gets atime = mtime. */
  private static long[] times(TarArchiveEntry e) {
    FileTime m = e.getLastModifiedTime();
    FileTime a = e.getLastAccessTime();
    Instant mi = m == null ? Instant.EPOCH : m.toInstant();
    Instant ai = a == null ? mi : a.toInstant();
    return new long[] {ai.getEpochSecond(), ai.getNano(), mi.getEpochSecond(), mi.getNano()};
  }

  /** A path that reaches (dirFd, name) without following a symlink at name: for the l*xattr calls. */
  private static byte[] procPath(int dirFd, String name) {
    return path("/proc/self/fd/" + dirFd + "/" + name);
  }

  private static void checkNoNul(String s, String what) throws LayerFormatException {
    if (s.indexOf('\0') >= 0) {
      throw new LayerFormatException(what + " contains a NUL byte: " + ByteStrings.display(s));
    }
  }

  private static String display(String parent, String base) {
    return ByteStrings.display(parent.isEmpty() ? base : parent + "/" + base);
  }
}
