package dev.berth.storage.filesystem;

import dev.berth.storage.BatchDeleteCapable;
import dev.berth.storage.FileInfo;
import dev.berth.storage.FileWriter;
import dev.berth.storage.InvalidOffsetException;
import dev.berth.storage.LeftoverSweepCapable;
import dev.berth.storage.LocalFileCapable;
import dev.berth.storage.OrderedListCapable;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageException;
import dev.berth.storage.StoragePaths;
import dev.berth.storage.WalkVisitor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A driver over a local (or shared, POSIX-renaming) filesystem. The layout under the root directory:
 *
 * <pre>
 * &lt;root&gt;/a/b/data                  the committed object /a/b/data; directories exist only while they hold
 *                                   something (whoever empties one removes it)
 * &lt;root&gt;/#staging/a/b/data#&lt;id&gt;    one writer's private file while it is open
 * &lt;root&gt;/#staging/#put/&lt;id&gt;         a putContent temp file
 * &lt;root&gt;/#staging/#trash/&lt;id&gt;       a cancelled writer's file, unlinked in the background
 * &lt;root&gt;/#staging/a/b/data#partial   unfinished content parked by FileWriter.close(), to be continued
 * </pre>
 *
 * <p>{@code '#'} cannot occur in a storage path, so staging names never collide with objects, and
 * {@link #list}/{@link #walk} skip every name that is not a valid path segment. Staging mirrors the object
 * tree so that deleting a directory can drop the unfinished writes below it in one sweep, and it lives under
 * the root so that publishing is a same-filesystem {@code rename(2)}: atomic, O(1), and replacing.
 *
 * <p>Why every writer owns a private file instead of writing to one well-known name: two writers for one
 * path (a retried request, a second registry process) would otherwise interleave their bytes. The
 * well-known {@code #partial} name only exists while no writer holds the content; {@code writer(path, true)}
 * claims it by renaming it to a private name, which exactly one claimant can win, even across processes
 * sharing the directory. {@code close()} renames it back; {@code commit()} renames it onto the object.
 *
 * <p>A process that dies leaves its open writers' private files and its putContent temp files in staging;
 * {@link #sweepLeftovers} (the garbage collector, after its grace period) removes them. Parked content stays:
 * it belongs to an upload session, and goes with it.
 *
 * <p>Commits and {@link #putContent} fsync the data and then the target directory before returning, so a
 * committed object survives a crash. Parking on {@code close()} does not fsync: after a crash the upload
 * resumes from whatever size the file reports.
 */
public final class FilesystemDriver
        implements StorageDriver, LocalFileCapable, BatchDeleteCapable, OrderedListCapable, LeftoverSweepCapable {
    /** The hidden staging directory's name; {@code '#'} makes it impossible as a storage path segment. */
    public static final String STAGING_DIR = "#staging";

    private static final String PARKED_SUFFIX = "#partial";
    /** Under staging; '#' keeps it apart from every mirrored storage path. */
    static final String PUT_TEMP_DIR = "#put";
    /**
     * Under staging: files of cancelled writers wait here to be unlinked off the request path (unlinking 100 MiB
     * takes 20-30 ms here); leftovers of a crash are removed when the next driver starts.
     */
    static final String TRASH_DIR = "#trash";
    /** Heap buffers are moved in slices of this size so the JDK's per-thread direct buffer cache stays small. */
    private static final int MAX_IO = 1 << 20;
    /** How often an operation is retried when a concurrent delete prunes a directory it just created. */
    private static final int RACE_RETRIES = 16;
    /** The JDK's message for EINVAL, which fsync answers on filesystems that cannot sync a directory. */
    private static final String REFUSED_BY_FILESYSTEM = "Invalid argument";

    private static final Logger log = LoggerFactory.getLogger(FilesystemDriver.class);
    private static final AtomicBoolean directorySyncRefusalLogged = new AtomicBoolean();

    private final Path root;
    private final Path staging;
    private final Path putTemp;
    private final Path trash;

    /** Uses {@code root} (created if missing) as the storage root. */
    public FilesystemDriver(Path root) throws IOException {
        this.root = Files.createDirectories(root).toAbsolutePath().normalize();
        this.staging = Files.createDirectories(this.root.resolve(STAGING_DIR));
        this.putTemp = Files.createDirectories(this.staging.resolve(PUT_TEMP_DIR));
        this.trash = this.staging.resolve(TRASH_DIR);
        deleteTree(trash);
    }

    /** The directory that holds the objects. */
    public Path rootDirectory() {
        return root;
    }

    @Override
    public String name() {
        return "filesystem";
    }

    @Override
    public byte[] getContent(String path) throws IOException {
        try (FileChannel channel = openObject(path)) {
            long size = channel.size();
            if (size > Integer.MAX_VALUE - 8) {
                throw new StorageException("object too large for getContent (" + size + " bytes)", path);
            }
            byte[] content = new byte[(int) size];
            int filled = 0;
            while (filled < content.length) {
                int n = channel.read(ByteBuffer.wrap(content, filled, Math.min(MAX_IO, content.length - filled)));
                if (n < 0) {
                    break;
                }
                filled += n;
            }
            // Published files are never modified in place, so a short read means someone broke that rule.
            if (filled != content.length) {
                throw new StorageException("object shrank while being read", path);
            }
            return content;
        }
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
        StoragePaths.checkObject(path);
        // Whole-object writes stage in a flat directory outside the mirror tree: a concurrent delete of the
        // target's directory (which discards unfinished writes below it) must not pull the file from under us.
        Path temp = putTemp.resolve(UUID.randomUUID().toString());
        try {
            try (FileChannel channel =
                    FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(channel, ByteBuffer.wrap(content));
                channel.force(false);
            }
            publish(temp, path);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(temp);
            throw e;
        }
    }

    @Override
    public InputStream reader(String path, long offset) throws IOException {
        FileChannel channel = openObject(path);
        try {
            if (offset < 0 || offset > channel.size()) {
                throw new InvalidOffsetException(path, offset);
            }
            channel.position(offset);
            return new ChannelInputStream(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public FileWriter writer(String path, boolean append) throws IOException {
        StoragePaths.checkObject(path);
        Path parked = parkedFileOf(path);
        Path own = privateFileOf(path);
        FileChannel channel;
        if (append) {
            try {
                // Claiming by rename: if two writers try to continue the same upload, one gets "not found".
                Files.move(parked, own, StandardCopyOption.ATOMIC_MOVE);
            } catch (NoSuchFileException e) {
                throw new PathNotFoundException(path);
            }
            try {
                channel = FileChannel.open(own, StandardOpenOption.WRITE);
            } catch (NoSuchFileException purged) {
                throw new PathNotFoundException(path);
            } catch (IOException | RuntimeException e) {
                // Give the claimed content back so a later attempt can continue it.
                try {
                    Files.move(own, parked, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        } else {
            Files.deleteIfExists(parked);
            channel = withParents(
                    own, null, () -> FileChannel.open(own, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
        }
        try {
            long size = channel.size();
            channel.position(size);
            return new Writer(path, own, parked, channel, size);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        Path file = resolve(path);
        BasicFileAttributes attributes = attributesOrNull(file);
        if (attributes != null && attributes.isRegularFile()) {
            return new FileInfo(
                    path, attributes.size(), attributes.lastModifiedTime().toInstant(), false);
        }
        if (attributes != null && attributes.isDirectory() && hasVisibleEntry(file)) {
            return new FileInfo(path, 0, attributes.lastModifiedTime().toInstant(), true);
        }
        throw new PathNotFoundException(path);
    }

    @Override
    public List<String> list(String path) throws IOException {
        return children(path, null, Integer.MAX_VALUE);
    }

    /** Reads the whole directory (a filesystem has no sorted index), but keeps only the first {@code limit}. */
    @Override
    public List<String> listAfter(String path, String after, int limit) throws IOException {
        return children(path, after, limit);
    }

    private List<String> children(String path, String after, int limit) throws IOException {
        Path dir = resolve(path);
        TreeSet<String> first = new TreeSet<>();
        boolean any = false;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!isVisibleName(name)) {
                    continue;
                }
                any = true;
                if ((after == null || name.compareTo(after) > 0) && first.add(name) && first.size() > limit) {
                    first.pollLast();
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            throw new PathNotFoundException(path);
        } catch (FileSystemException e) {
            throw notFoundIfMissing(e, dir, path);
        }
        if (!any) {
            throw new PathNotFoundException(path);
        }
        List<String> children = new ArrayList<>(first.size());
        first.forEach(name -> children.add(StoragePaths.child(path, name)));
        return children;
    }

    @Override
    public void move(String sourcePath, String destPath) throws IOException {
        StoragePaths.checkObject(sourcePath);
        StoragePaths.checkObject(destPath);
        Path source = resolve(sourcePath);
        BasicFileAttributes attributes = attributesOrNull(source);
        if (attributes == null || !attributes.isRegularFile()) {
            throw new PathNotFoundException(sourcePath);
        }
        if (sourcePath.equals(destPath)) {
            return;
        }
        try {
            publish(source, destPath);
        } catch (NoSuchFileException e) {
            throw new PathNotFoundException(sourcePath);
        }
        prune(source.getParent(), root);
    }

    @Override
    public void delete(String path) throws IOException {
        Path target = resolve(path);
        boolean found;
        BasicFileAttributes attributes = attributesOrNull(target);
        if (attributes == null) {
            found = false;
        } else if (attributes.isDirectory()) {
            found = hasVisibleEntry(target);
            if (target.equals(root)) {
                deleteChildren(root, name -> !name.equals(STAGING_DIR));
            } else {
                deleteTree(target);
            }
        } else {
            found = Files.deleteIfExists(target);
        }
        // Unfinished writes at or below the path go too: purging an upload must free its space.
        if (target.equals(root)) {
            deleteChildren(staging, name -> true);
        } else {
            deleteTree(stagingOf(path));
            Files.deleteIfExists(parkedFileOf(path));
            prune(stagingOf(path).getParent(), staging);
            prune(target.getParent(), root);
        }
        if (!found) {
            throw new PathNotFoundException(path);
        }
    }

    @Override
    public void walk(String path, WalkVisitor visitor) throws IOException {
        Path dir = resolve(path);
        BasicFileAttributes attributes = attributesOrNull(dir);
        if (attributes == null || !attributes.isDirectory()) {
            throw new PathNotFoundException(path);
        }
        int[] visited = {0};
        walkDirectory(dir, path, visitor, visited);
        if (visited[0] == 0) {
            throw new PathNotFoundException(path);
        }
    }

    @Override
    public int deleteMany(Collection<String> paths) throws IOException {
        int deleted = 0;
        for (String path : paths) {
            StoragePaths.checkObject(path);
            Path target = resolve(path);
            BasicFileAttributes attributes = attributesOrNull(target);
            // Objects only: a directory here means the caller's listing is stale, so leave it alone.
            if (attributes != null && attributes.isRegularFile() && Files.deleteIfExists(target)) {
                deleted++;
                prune(target.getParent(), root);
            }
        }
        return deleted;
    }

    @Override
    public Optional<Path> localFile(String path) {
        try {
            Path file = resolve(path);
            BasicFileAttributes attributes = attributesOrNull(file);
            return attributes != null && attributes.isRegularFile() ? Optional.of(file) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return "filesystem(" + root + ")";
    }

    // ------------------------------------------------------------------------------------------ walking

    /** Returns false once the visitor asked to stop. Visitor exceptions propagate untouched. */
    private boolean walkDirectory(Path dir, String path, WalkVisitor visitor, int[] visited) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path child : stream) {
                String name = child.getFileName().toString();
                if (!isVisibleName(name)) {
                    continue;
                }
                BasicFileAttributes attributes = attributesOrNull(child);
                if (attributes != null && (attributes.isDirectory() || attributes.isRegularFile())) {
                    entries.add(new Entry(name, child, attributes));
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return true; // removed while we walked: nothing left to visit here
        }
        // A directory sorts as "name/", which yields the lexical order of full object paths.
        entries.sort(Comparator.comparing(Entry::sortKey));
        for (Entry entry : entries) {
            String childPath = StoragePaths.child(path, entry.name);
            if (entry.attributes.isDirectory()) {
                if (!walkDirectory(entry.file, childPath, visitor, visited)) {
                    return false;
                }
            } else {
                visited[0]++;
                FileInfo info = new FileInfo(
                        childPath,
                        entry.attributes.size(),
                        entry.attributes.lastModifiedTime().toInstant(),
                        false);
                if (!visitor.visit(info)) {
                    return false;
                }
            }
        }
        return true;
    }

    private record Entry(String name, Path file, BasicFileAttributes attributes) {
        String sortKey() {
            return attributes.isDirectory() ? name + "/" : name;
        }
    }

    // ------------------------------------------------------------------------------------------ writer

    /** Writes to its private staging file; see the class comment for the protocol. Not thread-safe. */
    private final class Writer implements FileWriter {
        private final String path;
        private final Path own;
        private final Path parked;
        private final FileChannel channel;
        private final WriteBehind writeBehind;
        private long size;
        private boolean finished;

        Writer(String path, Path own, Path parked, FileChannel channel, long size) {
            this.path = path;
            this.own = own;
            this.parked = parked;
            this.channel = channel;
            this.writeBehind = new WriteBehind(channel);
            this.size = size;
        }

        @Override
        public void write(ByteBuffer buffer) throws IOException {
            requireOpen();
            long n = writeFully(channel, buffer);
            size += n;
            writeBehind.written(n);
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void commit() throws IOException {
            requireOpen();
            finished = true;
            try {
                writeBehind.sync();
                channel.close();
                publish(own, path);
            } catch (NoSuchFileException e) {
                // The staging file was deleted under us, e.g. the upload directory was purged.
                throw new PathNotFoundException(path);
            } catch (IOException | RuntimeException e) {
                park(); // keep the bytes so the caller may retry with writer(path, true)
                throw e;
            } finally {
                closeQuietly();
            }
            prune(own.getParent(), staging);
        }

        @Override
        public void cancel() throws IOException {
            requireOpen();
            finished = true;
            closeQuietly();
            discard(own);
            prune(own.getParent(), staging);
        }

        @Override
        public void close() throws IOException {
            if (finished) {
                return;
            }
            finished = true;
            channel.close();
            park();
        }

        private void park() throws IOException {
            try {
                Files.move(own, parked, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (NoSuchFileException purged) {
                // The directory was deleted meanwhile; there is nothing left to keep.
                prune(own.getParent(), staging);
            }
        }

        private void closeQuietly() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the outcome is already decided
            }
        }

        private void requireOpen() throws IOException {
            if (finished) {
                throw new StorageException("writer already committed, cancelled or closed", path);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    private Path resolve(String path) throws IOException {
        StoragePaths.check(path);
        return path.equals("/") ? root : root.resolve(path.substring(1));
    }

    private Path stagingOf(String path) {
        return staging.resolve(path.substring(1));
    }

    private Path parkedFileOf(String path) {
        Path mirror = stagingOf(path);
        return mirror.resolveSibling(mirror.getFileName() + PARKED_SUFFIX);
    }

    private Path privateFileOf(String path) {
        Path mirror = stagingOf(path);
        return mirror.resolveSibling(mirror.getFileName() + "#" + UUID.randomUUID());
    }

    /** Opens a committed object for reading, mapping every "there is no object here" case to not found. */
    private FileChannel openObject(String path) throws IOException {
        Path file = resolve(path);
        BasicFileAttributes attributes = attributesOrNull(file);
        if (attributes == null || !attributes.isRegularFile()) {
            throw new PathNotFoundException(path);
        }
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new PathNotFoundException(path); // deleted between the two calls
        }
    }

    /** Renames {@code source} onto the object at {@code path}, creating parents, then makes the rename durable. */
    private void publish(Path source, String path) throws IOException {
        Path target = resolve(path);
        withParents(target, source, () -> Files.move(source, target, StandardCopyOption.ATOMIC_MOVE));
        syncDirectory(target.getParent());
    }

    @FunctionalInterface
    private interface Action<T> {
        T run() throws IOException;
    }

    /**
     * Creates {@code file}'s parent directories and runs {@code action}, retrying when a concurrent delete
     * pruned a parent in between. The action then fails with {@link NoSuchFileException}; that is only a
     * race while its {@code input} (the file being moved, if any) still exists.
     */
    private static <T> T withParents(Path file, Path input, Action<T> action) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                Files.createDirectories(file.getParent());
            } catch (NoSuchFileException e) {
                // A concurrent prune removed a directory we had just created, before we created its child.
                if (attempt >= RACE_RETRIES) {
                    throw e;
                }
                continue;
            } catch (FileAlreadyExistsException e) {
                // Either a path component is an object (a real error), or the JDK saw a directory exist and then
                // vanish under a concurrent prune before it could confirm it (and it may be back already).
                Path component = Path.of(e.getFile());
                boolean isObject = Files.exists(component, LinkOption.NOFOLLOW_LINKS)
                        && !Files.isDirectory(component, LinkOption.NOFOLLOW_LINKS);
                if (attempt >= RACE_RETRIES || isObject) {
                    throw e;
                }
                continue;
            }
            try {
                return action.run();
            } catch (NoSuchFileException e) {
                if (attempt >= RACE_RETRIES || (input != null && !Files.exists(input))) {
                    throw e;
                }
            }
        }
    }

    /** Removes {@code dir} and its ancestors while they are empty, stopping at {@code stop}. */
    private static void prune(Path dir, Path stop) {
        for (Path current = dir;
                current != null && current.startsWith(stop) && !current.equals(stop);
                current = current.getParent()) {
            try {
                Files.delete(current);
            } catch (NoSuchFileException alreadyGone) {
                // someone else pruned it; keep going up
            } catch (IOException notEmptyOrNotOurs) {
                return;
            }
        }
    }

    /** Deletes a file or directory tree, tolerating concurrent deletes and retrying concurrent additions. */
    private static void deleteTree(Path path) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                Files.deleteIfExists(path);
                return;
            } catch (DirectoryNotEmptyException e) {
                if (attempt >= RACE_RETRIES) {
                    throw e;
                }
                deleteChildren(path, name -> true);
            }
        }
    }

    private static void deleteChildren(Path dir, Predicate<String> which) throws IOException {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (which.test(entry.getFileName().toString())) {
                    children.add(entry);
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return;
        }
        for (Path child : children) {
            deleteTree(child);
        }
    }

    private static boolean hasVisibleEntry(Path dir) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (isVisibleName(entry.getFileName().toString())) {
                    return true;
                }
            }
            return false;
        } catch (NoSuchFileException | NotDirectoryException e) {
            return false;
        }
    }

    /** Whether a directory entry can be part of a storage path; everything else is ours or foreign. */
    static boolean isVisibleName(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..")) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '.'
                    || c == '_'
                    || c == ':'
                    || c == '@'
                    || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * The attributes of {@code file}, or null when nothing is there, including when an ancestor is a regular
     * file (an object has no children; POSIX reports that as ENOTDIR, which Java surfaces untyped).
     */
    private BasicFileAttributes attributesOrNull(Path file) throws IOException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        } catch (FileSystemException e) {
            if (belowAnObject(file)) {
                return null;
            }
            throw e;
        }
    }

    private IOException notFoundIfMissing(FileSystemException e, Path file, String path) {
        return belowAnObject(file) || !Files.exists(file) ? new PathNotFoundException(path) : e;
    }

    private boolean belowAnObject(Path file) {
        for (Path ancestor = file.getParent();
                ancestor != null && ancestor.startsWith(root);
                ancestor = ancestor.getParent()) {
            if (Files.isRegularFile(ancestor)) {
                return true;
            }
        }
        return false;
    }

    /** Writes all remaining bytes; returns how many. Heap buffers go in slices (see {@link #MAX_IO}). */
    private static long writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        int start = buffer.position();
        int limit = buffer.limit();
        try {
            while (buffer.position() < limit) {
                if (!buffer.isDirect()) {
                    buffer.limit(Math.min(limit, buffer.position() + MAX_IO));
                }
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                buffer.limit(limit);
            }
        } finally {
            buffer.limit(limit);
        }
        return buffer.position() - start;
    }

    /** Makes a rename durable. Not every platform can open a directory; there it is skipped. */
    /** Moves {@code file} to the trash and unlinks it in the background; the rename is O(1), the unlink is not. */
    private void discard(Path file) throws IOException {
        Path doomed = trash.resolve(UUID.randomUUID().toString());
        try {
            Files.createDirectories(trash);
            Files.move(file, doomed, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException gone) {
            return; // already purged with its directory
        } catch (IOException e) {
            Files.deleteIfExists(file);
            return;
        }
        BackgroundIo.POOL.execute(() -> deleteQuietly(doomed));
    }

    @Override
    public long sweepLeftovers(Instant cutoff) throws IOException {
        long[] removed = {0};
        Files.walkFileTree(staging, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Path dir = file.getParent();
                boolean parked = file.getFileName().toString().endsWith(PARKED_SUFFIX) && !dir.equals(putTemp);
                if (!parked
                        && attributes.lastModifiedTime().toInstant().isBefore(cutoff)
                        && Files.deleteIfExists(file)) {
                    removed[0]++;
                    if (!dir.equals(putTemp) && !dir.equals(trash)) {
                        prune(dir, staging);
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // committed, cancelled or pruned meanwhile
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return removed[0];
    }

    /**
     * Makes a rename into {@code dir} durable. Failures propagate: a commit that might not survive a crash must
     * not report success. The one exception is a filesystem that cannot fsync a directory at all (it answers
     * EINVAL, e.g. some FUSE and network filesystems): there the rename is as durable as it gets, said once.
     */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            if (!REFUSED_BY_FILESYSTEM.equals(e.getMessage())) {
                throw e;
            }
            if (!directorySyncRefusalLogged.getAndSet(true)) {
                log.warn(
                        "the filesystem of {} cannot fsync directories ({}); renames are published without a"
                                + " directory fsync",
                        dir,
                        e.getMessage());
            }
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // best effort: the temp file is in the hidden staging area
        }
    }

    /** An input stream over a positioned channel; reads are capped at {@link #MAX_IO} per call. */
    private static final class ChannelInputStream extends InputStream {
        private final FileChannel channel;
        private final ByteBuffer single = ByteBuffer.allocate(1);

        ChannelInputStream(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public int read() throws IOException {
            single.clear();
            int n;
            do {
                n = channel.read(single);
            } while (n == 0);
            return n < 0 ? -1 : single.get(0) & 0xff;
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, bytes.length);
            if (length == 0) {
                return 0;
            }
            return channel.read(ByteBuffer.wrap(bytes, offset, Math.min(length, MAX_IO)));
        }

        @Override
        public long skip(long n) throws IOException {
            if (n <= 0) {
                return 0;
            }
            long position = channel.position();
            long skipped = Math.min(n, Math.max(0, channel.size() - position));
            channel.position(position + skipped);
            return skipped;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(Integer.MAX_VALUE, Math.max(0, channel.size() - channel.position()));
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
