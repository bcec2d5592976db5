package dev.berth.unionfs.tar;

import static dev.berth.unionfs.sys.LibC.*;

import com.sun.jna.LastErrorException;
import dev.berth.unionfs.sys.ErrnoException;
import dev.berth.unionfs.sys.LibC;
import dev.berth.unionfs.tar.FileWriterPool.SmallFile;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
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
 *
 * <p>Parallel apply. Creating a small file costs a few system calls of serial latency, so with
 * {@link ApplyOptions#parallelism()} N above 1, regular files are also created by N - 1 writer threads
 * ({@link FileWriterPool}) while the calling thread, the reader, parses the tar. The result is the
 * same as the sequential apply's because the reader keeps everything that is ordered in order:
 * <ul>
 *   <li>The reader copies a small file's content (at most {@value #SMALL_FILE} bytes, not sparse)
 *       out of the stream and hands a writer the parent's descriptor (resolved, and kept open, by the
 *       reader: {@link RootFs.Dir#retain()}), the name, the content and the metadata. The writer only
 *       ever creates a new file there, {@code O_CREAT|O_EXCL|O_NOFOLLOW}, and never removes
 *       anything. Larger and sparse files are written by the reader.</li>
 *   <li>A file is handed off only when its path certainly does not exist: its directory was made
 *       by this apply or has been listed once, and no entry of this apply has used the path yet
 *       ({@link PathSet}). Anything else (a replacement, a second entry for the path) is applied by
 *       the reader, as sequentially.</li>
 *   <li>Before the reader does anything to a path (looks it up as a parent, creates, replaces or
 *       whiteouts it, links to or from it), it waits for a file still being written there; before it
 *       removes anything, and before directory modes and times are set at the end, it waits for all
 *       of them. Directories, symlinks, hardlinks, devices, whiteouts and opaque markers are made by
 *       the reader.</li>
 *   <li>At most {@value #QUEUE_FILES} files and {@value #QUEUE_BYTES} bytes (plus 512 per file) wait
 *       for writers; past that the reader writes the file itself, so it is the N-th creating thread
 *       whenever the writers fall behind. Besides those, the reader holds the content of one entry
 *       (at most {@link ApplyOptions#bufferSize()} at a time for large files).</li>
 *   <li>The first failure, the reader's or a writer's, ends the apply: writers stop, and
 *       {@code apply} throws it (a writer's failure names its entry) once no writer runs any more.</li>
 * </ul>
 */
public final class LayerApplier {

  private static final String WHITEOUT_PREFIX = ".wh.";
  private static final String WHITEOUT_META_PREFIX = ".wh..wh.";
  private static final String WHITEOUT_OPAQUE = ".wh..wh..opq";
  private static final byte[] OPAQUE_XATTR = cString("trusted.overlay.opaque");
  private static final byte[] OPAQUE_YES = {'y'};

  /** Regular files up to this size are handed to writer threads with their content. */
  static final int SMALL_FILE = 1 << 20;
  /** At most this many files wait for (or are being written by) writer threads... */
  static final int QUEUE_FILES = 1024;
  /** ... and at most this many bytes of their content, counting {@link FileWriterPool#OVERHEAD} each. */
  static final int QUEUE_BYTES = 16 << 20;
  private static final int FILE_FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;

  private final ApplyOptions options;
  private final int dirCacheSize;

  public LayerApplier(ApplyOptions options) {
    this(options, RootFs.CACHE_SIZE);
  }

  /** For tests: a descriptor cache of {@code dirCacheSize} directories, so that evictions are frequent. */
  LayerApplier(ApplyOptions options, int dirCacheSize) {
    this.options = Objects.requireNonNull(options, "options");
    this.dirCacheSize = dirCacheSize;
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
    LayerTarInputStream tar = new LayerTarInputStream(tap, "ISO-8859-1");
    RootFs fs = null;
    Session s = null;
    try {
      fs = new RootFs(layerRoot, dirCacheSize);
      s = new Session(fs, tar);
      while (true) {
        // The rest of the previous entry and its padding, outside the header capture.
        tar.finishEntry();
        tap.begin();
        TarArchiveEntry e = tar.getNextEntry();
        RawPax pax = tap.end();
        if (e == null) {
          break;
        }
        s.entries++;
        s.apply(e, pax);
        fs.endEntry();
      }
      s.finish();
      // Trailing blocks and whatever follows the end-of-archive marker.
      byte[] rest = s.heap;
      while (tap.read(rest, 0, rest.length) >= 0) {
        // discard
      }
      return new ApplyResult(s.entries, s.bytes, Duration.ofNanos(System.nanoTime() - start));
    } catch (IOException | RuntimeException | Error ex) {
      // No writer may outlive the apply; then report the earliest entry that failed.
      Throwable first = s == null ? null : s.stopWriters();
      if (first != null && first != ex) {
        first.addSuppressed(ex);
        throw FileWriterPool.rethrow(first);
      }
      throw ex;
    } finally {
      if (s != null) {
        s.stopWriters();
      }
      if (fs != null) {
        fs.close();
      }
      if (source instanceof ReadAhead r) {
        r.close();
      }
    }
  }

  /** A directory whose mode and times are set after all entries. */
  private record PendingDir(String parent, String name, int mode, long[] times) {}

  /**
   * Per-apply state: one root, one reading thread. The writer threads of a parallel apply call only
   * {@link #writeFile}, which reads nothing but final fields.
   */
  private final class Session implements RootFs.Hooks {
    final RootFs fs;
    final LayerTarInputStream tar;
    final byte[] heap = new byte[options.bufferSize()];
    final ByteBuffer direct = ByteBuffer.allocateDirect(options.bufferSize());
    final List<PendingDir> pendingDirs = new ArrayList<>();
    /** Null for the sequential apply. */
    final FileWriterPool writers;
    /** Paths (symlink-free) that this apply may have created: see {@link PathSet}. */
    final PathSet touched = new PathSet();
    /** Files handed to writers, by path hash; done ones are pruned from time to time. */
    final Map<Long, SmallFile> inFlight = new HashMap<>();
    /** Directories (symlink-free paths) whose every name is in {@link #touched}. */
    final Set<String> knownDirs = new HashSet<>();
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

    Session(RootFs fs, LayerTarInputStream tar) throws IOException {
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
      if (options.parallelism() > 1) {
        // The reader is one of the file-creating threads (overflow, large files, replacements).
        writers = new FileWriterPool(options.parallelism() - 1, QUEUE_FILES, QUEUE_BYTES,
            Math.min(options.bufferSize(), 256 * 1024), this::writeFile, "berth-layer-writer");
        fs.setHooks(this);
      } else {
        writers = null;
      }
    }

    // ---- ordering against the writers (all no-ops in a sequential apply) ---------------------

    /** The path of {@code name} in {@code dir}, for {@link PathSet}. */
    private long key(Dir dir, String name) {
      return PathSet.hash(dir.real(), name);
    }

    /**
     * Before the reader acts on a path: waits for a file still being written there, and remembers
     * the path as one this apply may have created.
     */
    private void claim(long key) throws IOException {
      if (writers == null) {
        return;
      }
      if (!touched.add(key)) {
        SmallFile f = inFlight.remove(key);
        if (f != null) {
          writers.await(f);
        }
      }
    }

    private void claim(Dir dir, String name) throws IOException {
      if (writers != null) {
        claim(key(dir, name));
      }
    }

    @Override
    public void lookup(String path) throws IOException {
      claim(PathSet.hash(path));
    }

    @Override
    public void madeDirectory(String path) {
      if (writers != null) {
        knownDirs.add(path);
      }
    }

    @Override
    public void removing() throws IOException {
      if (writers != null) {
        writers.awaitAll();
      }
    }

    /** Lists a directory this apply did not make, once, so that its names count as touched. */
    private void know(Dir dir) throws IOException {
      if (knownDirs.contains(dir.real())) {
        return;
      }
      for (byte[] n : RootFs.list(dir.fd(), path("."), dir.real().isEmpty() ? "/" : dir.real(), null)) {
        touched.add(key(dir, ByteStrings.of(n, 0, n.length - 1)));
      }
      knownDirs.add(dir.real());
    }

    /** Every file written, then the first writer failure if there was one. */
    void finish() throws IOException {
      if (writers != null) {
        writers.awaitAll();
      }
      finishDirectories();
    }

    /** Stops and joins the writers; returns the earliest failure of a writer, if any. Idempotent. */
    Throwable stopWriters() {
      if (writers == null) {
        return null;
      }
      writers.close();
      return writers.failure();
    }

    void apply(TarArchiveEntry e, RawPax pax) throws IOException {
      if (writers != null) {
        writers.checkFailure(); // fail fast
      }
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
        claim(dir, base);
        directory(e, pax, dir, parent, base);
      } else if (flag == '2') {
        claim(dir, base);
        symlink(e, pax, dir, base);
      } else if (flag == '1') {
        claim(dir, base);
        hardlink(e, pax, dir, base, name);
      } else if (flag == '3' || flag == '4' || flag == '6') {
        claim(dir, base);
        special(e, pax, dir, base, flag);
      } else if (flag == '0' || flag == 0 || flag == '7' || flag == 'S') {
        if (!handOff(e, pax, dir, base, name)) {
          claim(dir, base);
          regular(e, pax, dir, base, name);
        }
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
      setXattrs(-1, procPath(fs.rootFd(), "."), pax.xattrs(), ".");
      pendingDirs.add(new PendingDir(null, ".", e.getMode() & 07777, times(e)));
    }

    private void directory(TarArchiveEntry e, RawPax pax, Dir dir, String parent, String base)
        throws IOException {
      byte[] n = path(base);
      try {
        mkdirat(dir.fd(), n, 0755);
        madeDirectory(dir.real().isEmpty() ? base : dir.real() + "/" + base);
      } catch (LastErrorException ex) {
        if (ex.getErrorCode() != EEXIST) {
          throw ErrnoException.of("mkdirat", display(parent, base), ex);
        }
        Stat st = lstatAt(dir.fd(), n);
        if (st.type() != S_IFDIR) {
          fs.removeAll(dir, base);
          mkdir(dir, n, parent, base);
          madeDirectory(dir.real().isEmpty() ? base : dir.real() + "/" + base);
        }
      }
      String what = parent.isEmpty() ? base : parent + "/" + base;
      chown(dir.fd(), n, e, what);
      setXattrs(-1, procPath(dir.fd(), base), pax.xattrs(), what);
      pendingDirs.add(new PendingDir(parent, base, e.getMode() & 07777, times(e)));
    }

    private void mkdir(Dir dir, byte[] n, String parent, String base) throws IOException {
      try {
        mkdirat(dir.fd(), n, 0755);
      } catch (LastErrorException ex) {
        throw ErrnoException.of("mkdirat", display(parent, base), ex);
      }
    }

    /**
     * In a parallel apply, hands a small regular file whose path certainly does not exist yet to the
     * writers, content included. False when the reader must apply it itself (then nothing is read).
     */
    private boolean handOff(TarArchiveEntry e, RawPax pax, Dir dir, String base, String name) throws IOException {
      if (writers == null || e.isSparse() || e.getSize() > SMALL_FILE) {
        return false;
      }
      know(dir);
      long key = key(dir, base);
      if (!touched.add(key)) {
        return false;
      }
      int size = (int) e.getSize();
      byte[] data = new byte[size];
      if (tar.readNBytes(data, 0, size) != size) {
        throw new LayerFormatException("entry " + ByteStrings.display(name) + " ends early");
      }
      bytes += size;
      SmallFile f = new SmallFile(entries, dir, path(base), name, data,
          e.getMode() & 07777, (int) e.getLongUserId(), (int) e.getLongGroupId(), times(e), pax.xattrs());
      boolean queued = false;
      dir.retain(); // the writer releases it; the cache may drop it meanwhile
      try {
        queued = writers.offer(f);
      } finally {
        if (!queued) {
          dir.release();
        }
      }
      if (queued) {
        if (inFlight.size() >= 2 * QUEUE_FILES) {
          inFlight.values().removeIf(x -> x.done);
        }
        inFlight.put(key, f);
      } else {
        // The writers have enough to do: write this one here, now (its path is still new).
        writeFile(f, direct);
      }
      return true;
    }

    /** Creates a file that does not exist yet, with its content and metadata; on any thread. */
    void writeFile(SmallFile f, ByteBuffer buffer) throws IOException {
      int fd;
      try {
        fd = openat(f.dir.fd(), f.name, FILE_FLAGS, f.mode & 0777);
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
        setMetadata(fd, f.uid, f.gid, f.mode, f.xattrs, f.times, f.entry);
      } finally {
        RootFs.closeQuietly(fd);
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
        setMetadata(fd, (int) e.getLongUserId(), (int) e.getLongGroupId(), e.getMode() & 07777, pax.xattrs(),
            times(e), name);
      } finally {
        RootFs.closeQuietly(fd);
      }
    }

    /**
     * Owner, then mode, then xattrs, then times, of a regular file just written. As everywhere here,
     * {@code what} (for messages) is a byte string, made displayable only when something fails.
     */
    private void setMetadata(int fd, int uid, int gid, int mode, Map<String, byte[]> xattrs, long[] times,
        String what) throws IOException {
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

    private int create(Dir dir, String base, byte[] n, int perm) throws IOException {
      int flags = FILE_FLAGS;
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

    private void writeAll(int fd, String what) throws IOException {
      int r;
      while ((r = tar.read(heap, 0, heap.length)) > 0) {
        direct.clear();
        direct.put(heap, 0, r);
        writeFully(fd, direct, r, -1, what);
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
          writeFully(fd, direct, r, pos, what);
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

    /** Writes the first {@code length} bytes of {@code buf} (a direct buffer), at {@code offset} if >= 0. */
    private void writeFully(int fd, ByteBuffer buf, int length, long offset, String what) throws IOException {
      int done = 0;
      while (done < length) {
        buf.position(done);
        long w;
        try {
          w = offset < 0 ? write(fd, buf.slice(), length - done) : pwrite(fd, buf.slice(), length - done,
              offset + done);
        } catch (LastErrorException ex) {
          throw ErrnoException.of("write", ByteStrings.display(what), ex);
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
      setXattrs(-1, procPath(dir.fd(), base), pax.xattrs(), base);
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
      // The target may be a file still being written.
      claim(tdir, tbase);
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
      setXattrs(-1, procPath(dir.fd(), base), pax.xattrs(), base);
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
      claim(dir, original);
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

    private void setXattrs(int fd, byte[] path, Map<String, byte[]> xattrs, String what) throws IOException {
      if (xattrs.isEmpty()) {
        return;
      }
      for (Map.Entry<String, byte[]> x : xattrs.entrySet()) {
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
