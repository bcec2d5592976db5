package dev.berth.unionfs.tar;

import static dev.berth.unionfs.sys.LibC.*;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import dev.berth.unionfs.sys.ErrnoException;
import dev.berth.unionfs.sys.LibC;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer directory seen as a root filesystem: every path is resolved as if the directory were "/".
 *
 * <p>Resolution walks one component at a time with {@code openat(O_PATH|O_DIRECTORY|O_NOFOLLOW)}
 * from a descriptor of the previous directory, so the kernel never follows a symlink on our behalf.
 * A symlink met as a parent component is read and its target spliced into the walk: an absolute
 * target restarts at the layer root, ".." pops a real directory but never the root. This is the
 * chroot-like resolution of containerd's archive code, done with descriptors, so nothing outside the
 * root can be reached whatever the layer contains. Final components are never resolved here: callers
 * act on (parent descriptor, name) with *at calls that do not follow symlinks.
 *
 * <p>Descriptors of real directories are cached by their symlink-free path, and names that went
 * through symlinks are remembered as aliases of such paths, so that 20,000 files in a few hundred
 * directories cost one openat per directory, not one per component per file. Anything that removes a
 * directory or a symlink invalidates what could depend on it. Not thread-safe: one per apply.
 */
final class RootFs implements Closeable {

  /** A resolved directory: its descriptor (owned by the cache) and its symlink-free path. */
  record Dir(int fd, String real) {}

  private static final int MAX_SYMLINKS = 40;
  private static final int CACHE_SIZE = 256;

  private final int rootFd;
  private final List<Integer> evicted = new ArrayList<>();
  private final Map<String, String> aliases = new HashMap<>();
  private final LinkedHashMap<String, Integer> dirs = new LinkedHashMap<>(CACHE_SIZE * 2, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
      if (size() > CACHE_SIZE) {
        // Closed only at the end of the entry: a caller may still hold this descriptor.
        evicted.add(eldest.getValue());
        return true;
      }
      return false;
    }
  };

  RootFs(Path root) throws IOException {
    String abs = root.toAbsolutePath().toString();
    try {
      this.rootFd = openat(AT_FDCWD, LibC.cString(abs), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    } catch (LastErrorException e) {
      throw ErrnoException.of("open layer root", abs, e);
    }
  }

  int rootFd() {
    return rootFd;
  }

  /** Resolves a cleaned relative directory path, creating missing directories (mode 0755). */
  Dir dir(String lexical) throws IOException {
    return resolve(lexical, true);
  }

  /** Resolves without creating anything; a missing component is reported as ENOENT. */
  Dir existingDir(String lexical) throws IOException {
    return resolve(lexical, false);
  }

  private Dir resolve(String lexical, boolean create) throws IOException {
    if (lexical.isEmpty()) {
      return new Dir(rootFd, "");
    }
    String real = aliases.getOrDefault(lexical, lexical);
    Integer cached = dirs.get(real);
    if (cached != null) {
      return new Dir(cached, real);
    }
    ArrayDeque<String> pending = new ArrayDeque<>(ByteStrings.clean(lexical));
    ArrayList<String> stack = new ArrayList<>();
    int cur = rootFd;
    String curKey = "";
    int hops = 0;
    boolean justCreated = false;
    while (!pending.isEmpty()) {
      String c = pending.pollFirst();
      if (c.isEmpty() || c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        if (!stack.isEmpty()) {
          stack.remove(stack.size() - 1);
          curKey = stack.isEmpty() ? "" : ByteStrings.join(stack, 0, stack.size());
          cur = curKey.isEmpty() ? rootFd : resolve(curKey, create).fd();
        }
        continue;
      }
      String key = curKey.isEmpty() ? c : curKey + "/" + c;
      Integer hit = dirs.get(key);
      if (hit != null) {
        stack.add(c);
        curKey = key;
        cur = hit;
        continue;
      }
      byte[] name = path(c);
      int child;
      try {
        child = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
      } catch (LastErrorException e) {
        int errno = e.getErrorCode();
        if (errno == ENOENT && create && !justCreated) {
          try {
            mkdirat(cur, name, 0755);
          } catch (LastErrorException me) {
            if (me.getErrorCode() != EEXIST) {
              throw ErrnoException.of("mkdirat", ByteStrings.display(key), me);
            }
          }
          justCreated = true;
          pending.addFirst(c);
          continue;
        }
        if (errno == ENOTDIR || errno == ELOOP) {
          String target = readLink(cur, name);
          if (target == null) {
            throw new ErrnoException("resolve", ByteStrings.display(key), ENOTDIR);
          }
          if (++hops > MAX_SYMLINKS) {
            throw new ErrnoException("resolve", ByteStrings.display(lexical), ELOOP);
          }
          List<String> parts = splitRaw(target);
          for (int i = parts.size() - 1; i >= 0; i--) {
            pending.addFirst(parts.get(i));
          }
          if (target.startsWith("/")) {
            stack.clear();
            curKey = "";
            cur = rootFd;
          }
          justCreated = false;
          continue;
        }
        throw ErrnoException.of("openat", ByteStrings.display(key), e);
      }
      justCreated = false;
      dirs.put(key, child);
      stack.add(c);
      curKey = key;
      cur = child;
    }
    if (!curKey.equals(lexical)) {
      aliases.put(lexical, curKey);
    }
    return new Dir(cur, curKey);
  }

  /** The target of a symlink, or null when the name is not a symlink. */
  static String readLink(int dirFd, byte[] name) throws IOException {
    byte[] buf = new byte[4096];
    long n;
    try {
      n = readlinkat(dirFd, name, buf, buf.length);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == EINVAL || e.getErrorCode() == ENOENT) {
        return null;
      }
      throw new ErrnoException("readlinkat", ByteStrings.display(ByteStrings.of(name, 0, name.length - 1)),
          e.getErrorCode());
    }
    return ByteStrings.of(buf, 0, (int) n);
  }

  /** Symlink targets are split without cleaning: their ".." must be applied to real directories. */
  private static List<String> splitRaw(String target) {
    List<String> out = new ArrayList<>();
    for (String s : target.split("/", -1)) {
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * Removes whatever is at (dir, name): a file, a symlink, a device, or a whole directory tree, and
   * forgets cached resolutions that could have gone through it.
   */
  void removeAll(Dir dir, String name) throws IOException {
    byte[] n = path(name);
    try {
      unlinkat(dir.fd(), n, 0);
      // It may have been a symlink that some alias went through.
      aliases.clear();
      return;
    } catch (LastErrorException e) {
      if (e.getErrorCode() == ENOENT) {
        return;
      }
      if (e.getErrorCode() != EISDIR && e.getErrorCode() != EPERM) {
        throw ErrnoException.of("unlinkat", ByteStrings.display(name), e);
      }
    }
    removeTree(dir.fd(), n, name);
    String key = dir.real().isEmpty() ? name : dir.real() + "/" + name;
    invalidate(key);
  }

  private void removeTree(int parentFd, byte[] name, String display) throws IOException {
    int fd;
    try {
      fd = openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    } catch (LastErrorException e) {
      throw ErrnoException.of("openat", ByteStrings.display(display), e);
    }
    List<byte[]> children = new ArrayList<>();
    List<Boolean> isDir = new ArrayList<>();
    Pointer d = fdopendir(fd);
    try {
      // Names are collected first: removing while reading a directory may skip entries.
      Pointer ent;
      while ((ent = readdir(d)) != null) {
        int len = (int) ent.indexOf(19, (byte) 0);
        byte[] raw = ent.getByteArray(19, len);
        if ((len == 1 && raw[0] == '.') || (len == 2 && raw[0] == '.' && raw[1] == '.')) {
          continue;
        }
        byte[] c = new byte[len + 1];
        System.arraycopy(raw, 0, c, 0, len);
        children.add(c);
        isDir.add(ent.getByte(18) == 4 /* DT_DIR */);
      }
      for (int i = 0; i < children.size(); i++) {
        byte[] c = children.get(i);
        boolean removed = false;
        if (!isDir.get(i)) {
          try {
            unlinkat(fd, c, 0);
            removed = true;
          } catch (LastErrorException e) {
            if (e.getErrorCode() != EISDIR && e.getErrorCode() != EPERM) {
              throw ErrnoException.of("unlinkat", ByteStrings.display(display), e);
            }
          }
        }
        if (!removed) {
          removeTree(fd, c, display + "/" + ByteStrings.of(c, 0, c.length - 1));
        }
      }
    } finally {
      closedir(d);
    }
    try {
      unlinkat(parentFd, name, AT_REMOVEDIR);
    } catch (LastErrorException e) {
      throw ErrnoException.of("rmdir", ByteStrings.display(display), e);
    }
  }

  /** Drops cached descriptors of a removed directory and everything below it. */
  private void invalidate(String realKey) {
    String prefix = realKey + "/";
    Iterator<Map.Entry<String, Integer>> it = dirs.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Integer> e = it.next();
      if (e.getKey().equals(realKey) || e.getKey().startsWith(prefix)) {
        evicted.add(e.getValue());
        it.remove();
      }
    }
    aliases.clear();
  }

  /** Closes descriptors evicted during the entry just applied. */
  void endEntry() {
    if (!evicted.isEmpty()) {
      for (int fd : evicted) {
        closeQuietly(fd);
      }
      evicted.clear();
    }
  }

  @Override
  public void close() {
    endEntry();
    for (int fd : dirs.values()) {
      closeQuietly(fd);
    }
    dirs.clear();
    closeQuietly(rootFd);
  }

  static void closeQuietly(int fd) {
    try {
      LibC.close(fd);
    } catch (LastErrorException ignored) {
      // Nothing useful to do about a failed close of a directory descriptor.
    }
  }
}
