package dev.berth.registry.observe;

import dev.berth.storage.FileInfo;
import dev.berth.storage.FileWriter;
import dev.berth.storage.LocalFileCapable;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageUnavailableException;
import dev.berth.storage.WalkVisitor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** A driver that forwards to another until switched off; then every call fails as unavailable storage does. */
final class SwitchableDriver implements StorageDriver, LocalFileCapable {
    private final StorageDriver delegate;
    private volatile boolean available = true;

    SwitchableDriver(StorageDriver delegate) {
        this.delegate = delegate;
    }

    void setAvailable(boolean available) {
        this.available = available;
    }

    private void check(String path) throws StorageUnavailableException {
        if (!available) {
            throw new StorageUnavailableException(path, new IOException("switched off by the test"));
        }
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public byte[] getContent(String path) throws IOException {
        check(path);
        return delegate.getContent(path);
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
        check(path);
        delegate.putContent(path, content);
    }

    @Override
    public InputStream reader(String path, long offset) throws IOException {
        check(path);
        return delegate.reader(path, offset);
    }

    @Override
    public FileWriter writer(String path, boolean append) throws IOException {
        check(path);
        return delegate.writer(path, append);
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        check(path);
        return delegate.stat(path);
    }

    @Override
    public List<String> list(String path) throws IOException {
        check(path);
        return delegate.list(path);
    }

    @Override
    public void move(String sourcePath, String destPath) throws IOException {
        check(sourcePath);
        delegate.move(sourcePath, destPath);
    }

    @Override
    public void delete(String path) throws IOException {
        check(path);
        delegate.delete(path);
    }

    @Override
    public void walk(String path, WalkVisitor visitor) throws IOException {
        check(path);
        delegate.walk(path, visitor);
    }

    @Override
    public Optional<Path> localFile(String path) {
        return available && delegate instanceof LocalFileCapable local ? local.localFile(path) : Optional.empty();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
