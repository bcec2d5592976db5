package dev.berth.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.storage.StorageStats.Operation;
import dev.berth.storage.filesystem.FilesystemDriver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decorator's own duties; its pass-through behaviour is covered by every kit run. */
class CheckedStorageDriverTest {
    @TempDir
    Path dir;

    @Test
    void unexpectedRuntimeExceptionsAreTaggedWithDriverAndPath() {
        IllegalStateException bug = new IllegalStateException("boom");
        CheckedStorageDriver checked = new CheckedStorageDriver(new Failing(bug));

        assertThatThrownBy(() -> checked.getContent("/a/b"))
                .isExactlyInstanceOf(StorageException.class)
                .hasMessageContaining("failing")
                .hasMessageContaining("boom")
                .hasMessageEndingWith(": /a/b")
                .hasCause(bug)
                .satisfies(e -> assertThat(((StorageException) e).path()).isEqualTo("/a/b"));
        assertThatThrownBy(() -> checked.move("/src", "/dst"))
                .isExactlyInstanceOf(StorageException.class)
                .hasCause(bug);
        assertThat(checked.stats().errors(Operation.GET_CONTENT)).isEqualTo(1);
    }

    @Test
    void plainIoExceptionsAreTaggedButTypedOnesPassUnchanged() {
        IOException disk = new IOException("No space left on device");
        assertThatThrownBy(() -> new CheckedStorageDriver(new Failing(disk)).putContent("/x", new byte[1]))
                .isExactlyInstanceOf(StorageException.class)
                .hasMessageContaining("No space left on device")
                .hasCause(disk);

        PathNotFoundException notFound = new PathNotFoundException("/x");
        CheckedStorageDriver checked = new CheckedStorageDriver(new Failing(notFound));
        assertThatThrownBy(() -> checked.stat("/x")).isSameAs(notFound);
        assertThat(checked.stats().calls(Operation.STAT)).isEqualTo(1);
        assertThat(checked.stats().errors(Operation.STAT))
                .as("not found is an answer, not an error")
                .isZero();
    }

    @Test
    void invalidPathsNeverReachTheDriver() {
        Failing inner = new Failing(new IllegalStateException("must not be called"));
        CheckedStorageDriver checked = new CheckedStorageDriver(inner);

        assertThatThrownBy(() -> checked.getContent("/a/../b")).isInstanceOf(InvalidPathException.class);
        assertThatThrownBy(() -> checked.move("/a", "relative")).isInstanceOf(InvalidPathException.class);
        assertThatThrownBy(() -> checked.writer("/", false)).isInstanceOf(InvalidPathException.class);
        assertThatThrownBy(() -> checked.walk("/a/", info -> true)).isInstanceOf(InvalidPathException.class);
        assertThat(inner.calls).isEmpty();
    }

    @Test
    void countsCallsAndBytes() throws Exception {
        CheckedStorageDriver checked = new CheckedStorageDriver(new FilesystemDriver(dir));
        checked.putContent("/a", "hello".getBytes(UTF_8));
        try (FileWriter writer = checked.writer("/b", false)) {
            writer.write(ByteBuffer.wrap(new byte[1000]));
            writer.commit();
        }
        checked.getContent("/a");
        try (InputStream in = checked.reader("/b", 100)) {
            in.read();
            in.readAllBytes();
        }
        assertThatThrownBy(() -> checked.stat("/missing")).isInstanceOf(PathNotFoundException.class);

        StorageStats stats = checked.stats();
        assertThat(stats.bytesWritten()).isEqualTo(1005);
        assertThat(stats.bytesRead()).isEqualTo(5 + 900);
        assertThat(stats.calls(Operation.PUT_CONTENT)).isEqualTo(1);
        assertThat(stats.calls(Operation.WRITER)).isEqualTo(1);
        assertThat(stats.calls(Operation.COMMIT)).isEqualTo(1);
        assertThat(stats.calls(Operation.STAT)).isEqualTo(1);
        assertThat(stats.errors(Operation.STAT)).isZero();
        assertThat(stats.totalTimeNanos(Operation.PUT_CONTENT)).isPositive();
        assertThat(stats.calls(Operation.DELETE)).isZero();
    }

    @Test
    void capabilitiesAreForwardedWhenTheDriverHasThem() throws Exception {
        CheckedStorageDriver local = new CheckedStorageDriver(new FilesystemDriver(dir));
        local.putContent("/blob", new byte[] {1});
        assertThat(local.localFile("/blob"))
                .hasValueSatisfying(file -> assertThat(file).hasBinaryContent(new byte[] {1}));
        assertThat(local.localFile("/../blob")).isEmpty();
        assertThat(local.redirectUrl("/blob", Duration.ofMinutes(5))).isEmpty();

        CheckedStorageDriver plain = new CheckedStorageDriver(new Failing(new IllegalStateException()));
        assertThat(plain.localFile("/blob")).isEmpty();
        assertThat(plain.redirectUrl("/blob", Duration.ofMinutes(5))).isEmpty();
    }

    @Test
    void aDriverIsCheckedOnce() throws Exception {
        CheckedStorageDriver once = new CheckedStorageDriver(new FilesystemDriver(dir));
        assertThatThrownBy(() -> new CheckedStorageDriver(once)).isInstanceOf(IllegalArgumentException.class);
        assertThat(once.delegate()).isInstanceOf(FilesystemDriver.class);
        assertThat(once.name()).isEqualTo("filesystem");
    }

    /** Throws the given exception from every operation and records which were called. */
    private static final class Failing implements StorageDriver {
        private final Exception failure;
        final List<String> calls = new ArrayList<>();

        Failing(Exception failure) {
            this.failure = failure;
        }

        private <T> T fail(String call) throws IOException {
            calls.add(call);
            if (failure instanceof IOException io) {
                throw io;
            }
            throw (RuntimeException) failure;
        }

        @Override
        public String name() {
            return "failing";
        }

        @Override
        public byte[] getContent(String path) throws IOException {
            return fail("getContent");
        }

        @Override
        public void putContent(String path, byte[] content) throws IOException {
            fail("putContent");
        }

        @Override
        public InputStream reader(String path, long offset) throws IOException {
            return fail("reader");
        }

        @Override
        public FileWriter writer(String path, boolean append) throws IOException {
            return fail("writer");
        }

        @Override
        public FileInfo stat(String path) throws IOException {
            return fail("stat");
        }

        @Override
        public List<String> list(String path) throws IOException {
            return fail("list");
        }

        @Override
        public void move(String sourcePath, String destPath) throws IOException {
            fail("move");
        }

        @Override
        public void delete(String path) throws IOException {
            fail("delete");
        }

        @Override
        public void walk(String path, WalkVisitor visitor) throws IOException {
            fail("walk");
        }
    }
}
