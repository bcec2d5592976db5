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
import java.util.concurrent.atomic.AtomicInteger;

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
 * directory or a symlink invalidates what could depend on it.
 *
 * <p>Threads. Resolution, creation and removal happen on the applier's reading thread only. Other
 * threads (the file writers) may use a {@link Dir}'s descriptor after {@link Dir#retain()}: a
 * descriptor is closed when it has left the cache and the last holder called {@link Dir#release()},
 * so a writer never sees its directory descriptor closed, or its number reused, under it. The
 * {@link Hooks} let the applier order the reading thread's work after writes still in flight.
 */
final class RootFs implements Closeable {

    /**
     * A resolved directory: its descriptor and its symlink-free path. The descriptor belongs to the
     * cache; to use it after the current entry, or on another thread, hold a reference.
     */
    record Dir(int fd, String real, Handle handle) {
        /** Keeps the descriptor open until the matching {@link #release()}. */
        Dir retain() {
            handle.retain();
            return this;
        }

        void release() {
            handle.release();
        }
    }

    /** A directory descriptor with a reference count: one for the cache, one per other holder. */
    static final class Handle {
        final int fd;
        private final AtomicInteger refs = new AtomicInteger(1);

        Handle(int fd) {
            this.fd = fd;
        }

        void retain() {
            refs.incrementAndGet();
        }

        void release() {
            if (refs.decrementAndGet() == 0) {
                closeQuietly(fd);
            }
        }
    }

    /** Called on the reading thread around what could meet a write still in flight elsewhere. */
    interface Hooks {
        /** Before the name {@code key} (a symlink-free path) is looked up or created as a parent. */
        void lookup(String key) throws IOException;

        /** A new, empty directory was made at {@code key}. */
        void madeDirectory(String key);

        /** Before anything is removed. */
        void removing() throws IOException;

        Hooks NONE = new Hooks() {
            @Override
            public void lookup(String key) {}

            @Override
            public void madeDirectory(String key) {}

            @Override
            public void removing() {}
        };
    }

    private static final int MAX_SYMLINKS = 40;
    static final int CACHE_SIZE = 256;

    private final int rootFd;
    private final Dir root;
    private Hooks hooks = Hooks.NONE;
    private final List<Handle> evicted = new ArrayList<>();
    private final Map<String, String> aliases = new HashMap<>();
    private final int cacheSize;
    private final LinkedHashMap<String, Handle> dirs = new LinkedHashMap<>(CACHE_SIZE * 2, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Handle> eldest) {
            if (size() > cacheSize) {
                // Released only at the end of the entry: a caller may still hold this descriptor.
                evicted.add(eldest.getValue());
                return true;
            }
            return false;
        }
    };

    RootFs(Path root) throws IOException {
        this(root, CACHE_SIZE);
    }

    /** With room for {@code cacheSize} directory descriptors (tests use tiny caches). */
    RootFs(Path root, int cacheSize) throws IOException {
        this.cacheSize = cacheSize;
        String abs = root.toAbsolutePath().toString();
        try {
            this.rootFd = openat(AT_FDCWD, LibC.cString(abs), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw ErrnoException.of("open layer root", abs, e);
        }
        this.root = new Dir(rootFd, "", new Handle(rootFd));
    }

    void setHooks(Hooks hooks) {
        this.hooks = hooks;
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
            return root;
        }
        String real = aliases.getOrDefault(lexical, lexical);
        Handle cached = dirs.get(real);
        if (cached != null) {
            return new Dir(cached.fd, real, cached);
        }
        ArrayDeque<String> pending = new ArrayDeque<>(ByteStrings.clean(lexical));
        ArrayList<String> stack = new ArrayList<>();
        Handle cur = root.handle();
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
                    cur = curKey.isEmpty()
                            ? root.handle()
                            : resolve(curKey, create).handle();
                }
                continue;
            }
            String key = curKey.isEmpty() ? c : curKey + "/" + c;
            Handle hit = dirs.get(key);
            if (hit != null) {
                stack.add(c);
                curKey = key;
                cur = hit;
                continue;
            }
            hooks.lookup(key);
            byte[] name = path(c);
            int child;
            try {
                child = openat(cur.fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
            } catch (LastErrorException e) {
                int errno = e.getErrorCode();
                if (errno == ENOENT && create && !justCreated) {
                    try {
                        mkdirat(cur.fd, name, 0755);
                        hooks.madeDirectory(key);
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
                    String target = readLink(cur.fd, name);
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
                        cur = root.handle();
                    }
                    justCreated = false;
                    continue;
                }
                throw ErrnoException.of("openat", ByteStrings.display(key), e);
            }
            justCreated = false;
            Handle h = new Handle(child);
            dirs.put(key, h);
            stack.add(c);
            curKey = key;
            cur = h;
        }
        if (!curKey.equals(lexical)) {
            aliases.put(lexical, curKey);
        }
        return curKey.isEmpty() ? root : new Dir(cur.fd, curKey, cur);
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
            throw new ErrnoException(
                    "readlinkat", ByteStrings.display(ByteStrings.of(name, 0, name.length - 1)), e.getErrorCode());
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
        hooks.removing();
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

    /**
     * The names in a directory, without "." and "..", as NUL-terminated byte strings; {@code isDir}
     * (when not null) receives whether each is a directory according to readdir's d_type.
     */
    static List<byte[]> list(int parentFd, byte[] name, String display, List<Boolean> isDir) throws IOException {
        int fd;
        try {
            fd = openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw ErrnoException.of("openat", ByteStrings.display(display), e);
        }
        List<byte[]> children = new ArrayList<>();
        Pointer d;
        try {
            d = fdopendir(fd);
        } catch (LastErrorException e) {
            closeQuietly(fd);
            throw ErrnoException.of("fdopendir", ByteStrings.display(display), e);
        }
        try {
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
                if (isDir != null) {
                    isDir.add(ent.getByte(18) == 4 /* DT_DIR */);
                }
            }
        } finally {
            closedir(d);
        }
        return children;
    }

    private void removeTree(int parentFd, byte[] name, String display) throws IOException {
        int fd;
        try {
            fd = openat(parentFd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw ErrnoException.of("openat", ByteStrings.display(display), e);
        }
        try {
            // Names are collected first: removing while reading a directory may skip entries.
            List<Boolean> isDir = new ArrayList<>();
            List<byte[]> children = list(fd, path("."), display, isDir);
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
            closeQuietly(fd);
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
        Iterator<Map.Entry<String, Handle>> it = dirs.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Handle> e = it.next();
            if (e.getKey().equals(realKey) || e.getKey().startsWith(prefix)) {
                evicted.add(e.getValue());
                it.remove();
            }
        }
        aliases.clear();
    }

    /**
     * Drops the cache's reference to descriptors evicted during the entry just applied: they are closed
     * now, or when the last writer using them releases them.
     */
    void endEntry() {
        if (!evicted.isEmpty()) {
            for (Handle h : evicted) {
                h.release();
            }
            evicted.clear();
        }
    }

    /** Releases every descriptor; call after every other holder has released its references. */
    @Override
    public void close() {
        endEntry();
        for (Handle h : dirs.values()) {
            h.release();
        }
        dirs.clear();
        root.release();
    }

    static void closeQuietly(int fd) {
        try {
            LibC.close(fd);
        } catch (LastErrorException ignored) {
            // Nothing useful to do about a failed close of a directory descriptor.
        }
    }
}
