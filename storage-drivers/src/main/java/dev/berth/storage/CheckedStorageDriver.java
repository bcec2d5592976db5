package dev.berth.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wraps any driver with the concerns every driver shares, so drivers need not repeat them: every path is
 * checked with {@link StoragePaths} before the driver sees it, failures that are not already a typed
 * {@link StorageException} are tagged with the driver's name and the path, and calls and bytes are counted
 * ({@link #stats()}).
 *
 * <p>The wrapper always implements the optional capabilities and forwards them when the wrapped driver has
 * them; otherwise they answer "not available" ({@link Optional#empty()}), which both capability contracts
 * already allow.
 */
public final class CheckedStorageDriver
        implements StorageDriver,
                LocalFileCapable,
                RedirectCapable,
                BatchDeleteCapable,
                OrderedListCapable,
                LeftoverSweepCapable {
    private final StorageDriver delegate;
    private final Counters counters = new Counters();

    public CheckedStorageDriver(StorageDriver delegate) {
        if (delegate instanceof CheckedStorageDriver) {
            throw new IllegalArgumentException("driver is already checked: " + delegate.name());
        }
        this.delegate = delegate;
    }

    /** The wrapped driver. */
    public StorageDriver delegate() {
        return delegate;
    }

    /** Live counters for this wrapper. */
    public StorageStats stats() {
        return counters;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public byte[] getContent(String path) throws IOException {
        byte[] content =
                call(StorageStats.Operation.GET_CONTENT, path, () -> delegate.getContent(StoragePaths.check(path)));
        counters.bytesRead.add(content.length);
        return content;
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
        call(StorageStats.Operation.PUT_CONTENT, path, () -> {
            delegate.putContent(StoragePaths.checkObject(path), content);
            return null;
        });
        counters.bytesWritten.add(content.length);
    }

    @Override
    public InputStream reader(String path, long offset) throws IOException {
        InputStream in =
                call(StorageStats.Operation.READER, path, () -> delegate.reader(StoragePaths.check(path), offset));
        return new CountingInputStream(in, path);
    }

    @Override
    public FileWriter writer(String path, boolean append) throws IOException {
        FileWriter writer = call(
                StorageStats.Operation.WRITER, path, () -> delegate.writer(StoragePaths.checkObject(path), append));
        return new CountingWriter(writer, path);
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        return call(StorageStats.Operation.STAT, path, () -> delegate.stat(StoragePaths.check(path)));
    }

    @Override
    public List<String> list(String path) throws IOException {
        return call(StorageStats.Operation.LIST, path, () -> delegate.list(StoragePaths.check(path)));
    }

    /** The delegate's, or its whole listing cut to the page when it lacks the capability. */
    @Override
    public List<String> listAfter(String path, String after, int limit) throws IOException {
        return call(StorageStats.Operation.LIST, path, () -> {
            StoragePaths.check(path);
            if (delegate instanceof OrderedListCapable ordered) {
                return ordered.listAfter(path, after, limit);
            }
            return delegate.list(path).stream()
                    .filter(child -> after == null
                            || child.substring(child.lastIndexOf('/') + 1).compareTo(after) > 0)
                    .limit(limit)
                    .toList();
        });
    }

    @Override
    public void move(String sourcePath, String destPath) throws IOException {
        call(StorageStats.Operation.MOVE, sourcePath, () -> {
            StoragePaths.checkObject(sourcePath);
            StoragePaths.checkObject(destPath);
            delegate.move(sourcePath, destPath);
            return null;
        });
    }

    @Override
    public void delete(String path) throws IOException {
        call(StorageStats.Operation.DELETE, path, () -> {
            delegate.delete(StoragePaths.check(path));
            return null;
        });
    }

    @Override
    public void walk(String path, WalkVisitor visitor) throws IOException {
        // The visitor's own failures belong to the caller: they pass through untagged and uncounted.
        AtomicReference<Exception> fromVisitor = new AtomicReference<>();
        WalkVisitor guarded = object -> {
            try {
                return visitor.visit(object);
            } catch (IOException | RuntimeException e) {
                fromVisitor.set(e);
                throw e;
            }
        };
        long start = System.nanoTime();
        counters.callAdder(StorageStats.Operation.WALK).increment();
        try {
            delegate.walk(StoragePaths.check(path), guarded);
        } catch (IOException | RuntimeException e) {
            if (e == fromVisitor.get()) {
                throw e;
            }
            throw fail(StorageStats.Operation.WALK, path, e);
        } finally {
            counters.timeAdder(StorageStats.Operation.WALK).add(System.nanoTime() - start);
        }
    }

    /**
     * Forwards to the wrapped driver's batch delete when it has one; otherwise deletes object by object, so
     * callers can always batch. Counted as one {@code DELETE} call per batch.
     */
    @Override
    public int deleteMany(Collection<String> paths) throws IOException {
        String first = paths.isEmpty() ? "/" : paths.iterator().next();
        return call(StorageStats.Operation.DELETE, first, () -> {
            for (String path : paths) {
                StoragePaths.checkObject(path);
            }
            if (delegate instanceof BatchDeleteCapable batch) {
                return batch.deleteMany(paths);
            }
            int deleted = 0;
            for (String path : paths) {
                try {
                    if (!delegate.stat(path).directory()) {
                        delegate.delete(path);
                        deleted++;
                    }
                } catch (PathNotFoundException gone) {
                    // skipped, as the capability allows
                }
            }
            return deleted;
        });
    }

    /** The delegate's sweep, or nothing to sweep when it keeps no private objects. */
    @Override
    public long sweepLeftovers(Instant cutoff) throws IOException {
        if (!(delegate instanceof LeftoverSweepCapable sweepable)) {
            return 0;
        }
        return call(StorageStats.Operation.DELETE, "/", () -> sweepable.sweepLeftovers(cutoff));
    }

    @Override
    public Optional<Path> localFile(String path) {
        if (!(delegate instanceof LocalFileCapable local)) {
            return Optional.empty();
        }
        try {
            return local.localFile(StoragePaths.check(path));
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    @Override
    public Optional<URI> redirectUrl(String path, Duration validity) throws IOException {
        if (!(delegate instanceof RedirectCapable redirect)) {
            return Optional.empty();
        }
        return call(
                StorageStats.Operation.REDIRECT_URL,
                path,
                () -> redirect.redirectUrl(StoragePaths.checkObject(path), validity));
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    @Override
    public String toString() {
        return "checked(" + delegate.name() + ")";
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws IOException;
    }

    private <T> T call(StorageStats.Operation operation, String path, Call<T> call) throws IOException {
        long start = System.nanoTime();
        counters.callAdder(operation).increment();
        try {
            return call.run();
        } catch (IOException | RuntimeException e) {
            throw fail(operation, path, e);
        } finally {
            counters.timeAdder(operation).add(System.nanoTime() - start);
        }
    }

    private IOException fail(StorageStats.Operation operation, String path, Exception e) {
        if (!(e instanceof PathNotFoundException)) {
            counters.errorAdder(operation).increment();
        }
        return tag(path, e);
    }

    /** Typed errors pass unchanged; anything else becomes a {@link StorageException} naming driver and path. */
    private IOException tag(String path, Exception e) {
        if (e instanceof StorageException typed) {
            return typed;
        }
        String detail = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")");
        return new StorageException(delegate.name() + " driver failed: " + detail, String.valueOf(path), e);
    }

    private final class CountingInputStream extends FilterInputStream {
        private final String path;

        CountingInputStream(InputStream in, String path) {
            super(in);
            this.path = path;
        }

        @Override
        public int read() throws IOException {
            try {
                int b = in.read();
                if (b >= 0) {
                    counters.bytesRead.increment();
                }
                return b;
            } catch (IOException | RuntimeException e) {
                throw tag(path, e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                int n = in.read(b, off, len);
                if (n > 0) {
                    counters.bytesRead.add(n);
                }
                return n;
            } catch (IOException | RuntimeException e) {
                throw tag(path, e);
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return in.skip(n);
            } catch (IOException | RuntimeException e) {
                throw tag(path, e);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                in.close();
            } catch (IOException | RuntimeException e) {
                throw tag(path, e);
            }
        }
    }

    private final class CountingWriter implements FileWriter {
        private final FileWriter writer;
        private final String path;

        CountingWriter(FileWriter writer, String path) {
            this.writer = writer;
            this.path = path;
        }

        @Override
        public void write(ByteBuffer buffer) throws IOException {
            int before = buffer.remaining();
            try {
                writer.write(buffer);
            } catch (IOException | RuntimeException e) {
                throw tag(path, e);
            } finally {
                counters.bytesWritten.add(before - buffer.remaining());
            }
        }

        @Override
        public long size() {
            return writer.size();
        }

        @Override
        public void commit() throws IOException {
            call(StorageStats.Operation.COMMIT, path, () -> {
                writer.commit();
                return null;
            });
        }

        @Override
        public void cancel() throws IOException {
            try {
                writer.cancel();
            } catch (IOException | RuntimeException e) {
                throw tag(path, e);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                writer.close();
            } catch (IOException | RuntimeException e) {
                throw tag(path, e);
            }
        }
    }

    private static final class Counters implements StorageStats {
        private final Map<Operation, LongAdder> calls = adders();
        private final Map<Operation, LongAdder> errors = adders();
        private final Map<Operation, LongAdder> nanos = adders();
        final LongAdder bytesRead = new LongAdder();
        final LongAdder bytesWritten = new LongAdder();

        private static Map<Operation, LongAdder> adders() {
            Map<Operation, LongAdder> map = new EnumMap<>(Operation.class);
            for (Operation operation : Operation.values()) {
                map.put(operation, new LongAdder());
            }
            return map;
        }

        LongAdder callAdder(Operation operation) {
            return calls.get(operation);
        }

        LongAdder errorAdder(Operation operation) {
            return errors.get(operation);
        }

        LongAdder timeAdder(Operation operation) {
            return nanos.get(operation);
        }

        @Override
        public long calls(Operation operation) {
            return calls.get(operation).sum();
        }

        @Override
        public long errors(Operation operation) {
            return errors.get(operation).sum();
        }

        @Override
        public long totalTimeNanos(Operation operation) {
            return nanos.get(operation).sum();
        }

        @Override
        public long bytesRead() {
            return bytesRead.sum();
        }

        @Override
        public long bytesWritten() {
            return bytesWritten.sum();
        }
    }
}
