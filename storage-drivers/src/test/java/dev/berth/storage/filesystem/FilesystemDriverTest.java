package dev.berth.storage.filesystem;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.berth.storage.FileWriter;
import dev.berth.storage.InvalidPathException;
import dev.berth.storage.LocalFileCapable;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.kit.StorageDriverTestKit;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared kit against the filesystem driver, a check of the disk itself for leftovers, and local cases. */
class FilesystemDriverTest extends StorageDriverTestKit {
    @TempDir
    Path dir;

    @Override
    protected StorageDriver newDriver() throws IOException {
        return new FilesystemDriver(storage());
    }

    /**
     * Nothing but the root and the empty staging directory may remain: no temp files, no empty directories.
     * Cancelled writers' files are unlinked in the background, so the trash gets a few seconds to empty.
     */
    @Override
    protected void assertNoResidue() throws Exception {
        Path trash = staging().resolve(FilesystemDriver.TRASH_DIR);
        await().atMost(Duration.ofSeconds(5)).until(() -> !Files.isDirectory(trash) || !hasEntries(trash));
        try (Stream<Path> all = Files.walk(storage())) {
            List<Path> left = all.filter(p -> !p.equals(storage())
                            && !p.equals(staging())
                            && !p.equals(staging().resolve(FilesystemDriver.PUT_TEMP_DIR))
                            && !p.equals(trash))
                    .toList();
            assertThat(left).as("left under %s", storage()).isEmpty();
        }
    }

    private static boolean hasEntries(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isPresent();
        } catch (java.nio.file.NoSuchFileException gone) {
            return false;
        }
    }

    private Path storage() {
        return dir.resolve("storage");
    }

    private Path staging() {
        return storage().resolve(FilesystemDriver.STAGING_DIR);
    }

    @Test
    void theUndecoratedDriverRejectsPathsThatWouldEscapeItsRoot() throws Exception {
        StorageDriver raw = new FilesystemDriver(storage());
        Files.writeString(dir.resolve("outside"), "secret");
        for (String bad : List.of(
                "/../outside", "/a/../../outside", "/..", "relative", "/a/", "/a//b", "/a\\..\\b", "/#staging/x")) {
            assertInvalid(() -> raw.getContent(bad));
            assertInvalid(() -> raw.putContent(bad, new byte[1]));
            assertInvalid(() -> raw.reader(bad, 0));
            assertInvalid(() -> raw.writer(bad, false));
            assertInvalid(() -> raw.stat(bad));
            assertInvalid(() -> raw.list(bad));
            assertInvalid(() -> raw.move(bad, "/x"));
            assertInvalid(() -> raw.move("/x", bad));
            assertInvalid(() -> raw.delete(bad));
            assertInvalid(() -> raw.walk(bad, info -> true));
        }
        assertThat(dir.resolve("outside")).hasContent("secret");
    }

    @Test
    void aDirectoryThatCannotBeSyncedFailsTheCommitUnlessTheFilesystemCannotSyncDirectories() throws Exception {
        Files.createDirectories(storage());
        FilesystemDriver.syncDirectory(storage());
        // Any other failure than EINVAL is the commit's failure, not something to ignore.
        assertThatThrownBy(() -> FilesystemDriver.syncDirectory(storage().resolve("gone")))
                .isInstanceOf(NoSuchFileException.class);
        // procfs answers EINVAL to fsync on a directory, like filesystems that cannot sync one: tolerated.
        FilesystemDriver.syncDirectory(Path.of("/proc"));
    }

    @Test
    void localFileIsTheCommittedFileOnly() throws Exception {
        LocalFileCapable local = (LocalFileCapable) driver;
        driver.putContent(p("blobs/data"), "layer".getBytes(UTF_8));
        try (FileWriter writer = driver.writer(p("uploads/data"), false)) {
            writer.write(ByteBuffer.wrap("unfinished".getBytes(UTF_8)));

            assertThat(local.localFile(p("blobs/data")))
                    .hasValueSatisfying(file -> assertThat(file).hasContent("layer"));
            assertThat(local.localFile(p("uploads/data"))).isEmpty();
            writer.cancel();
        }
        assertThat(local.localFile(p("blobs"))).isEmpty();
        assertThat(local.localFile(p("missing"))).isEmpty();
        assertThat(local.localFile("/../outside")).isEmpty();
    }

    @Test
    void anotherDriverInstanceContinuesAnUpload() throws Exception {
        try (FileWriter writer = driver.writer(p("uploads/u/data"), false)) {
            writer.write(ByteBuffer.wrap("first,".getBytes(UTF_8)));
        }
        // A second registry process sharing the directory.
        StorageDriver other = new FilesystemDriver(storage());
        try (FileWriter writer = other.writer(p("uploads/u/data"), true)) {
            assertThat(writer.size()).isEqualTo(6);
            writer.write(ByteBuffer.wrap("second".getBytes(UTF_8)));
            writer.commit();
        }

        assertThat(driver.getContent(p("uploads/u/data"))).asString(UTF_8).isEqualTo("first,second");
    }

    @Test
    void aCancelledWriterLeavesNothingVisibleAndACrashedTrashIsEmptiedAtStart() throws Exception {
        FileWriter writer = driver.writer(p("uploads/c/data"), false);
        writer.write(ByteBuffer.wrap(new byte[3 << 20]));
        writer.cancel();
        assertThat(Files.exists(staging().resolve("uploads/c")))
                .as("staging entry gone at once")
                .isFalse();
        assertThatThrownBy(() -> driver.stat(p("uploads/c/data"))).isInstanceOf(PathNotFoundException.class);

        // A process killed before its background unlink ran leaves a file in the trash.
        Path trash = Files.createDirectories(staging().resolve(FilesystemDriver.TRASH_DIR));
        Files.write(trash.resolve("left-by-a-crash"), new byte[1024]);
        new FilesystemDriver(storage());
        assertThat(trash).doesNotExist();
    }

    @Test
    void contentWrittenAcrossManyWriteBehindStepsCommitsIntact() throws Exception {
        // Several background flushes run while the writer appends; the committed bytes must be exactly these.
        byte[] chunk = new byte[1 << 20];
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        int chunks = (int) (WriteBehind.STEP * 3 / chunk.length) + 5;
        try (FileWriter writer = driver.writer(p("blobs/big/data"), false)) {
            for (int i = 0; i < chunks; i++) {
                Arrays.fill(chunk, (byte) i);
                written.update(chunk);
                writer.write(ByteBuffer.wrap(chunk));
            }
            writer.commit();
        }
        MessageDigest read = MessageDigest.getInstance("SHA-256");
        try (InputStream in = driver.reader(p("blobs/big/data"), 0)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) >= 0; ) {
                read.update(buf, 0, n);
            }
        }
        assertThat(driver.stat(p("blobs/big/data")).size()).isEqualTo((long) chunks * chunk.length);
        assertThat(read.digest()).isEqualTo(written.digest());
    }

    @Test
    void onlyOneWriterCanContinueUnfinishedContent() throws Exception {
        try (FileWriter writer = driver.writer(p("upload"), false)) {
            writer.write(ByteBuffer.wrap(new byte[10]));
        }
        try (FileWriter first = driver.writer(p("upload"), true)) {
            // While the first holds it, a second claimant finds nothing to continue.
            assertThatThrownBy(() -> driver.writer(p("upload"), true)).isInstanceOf(PathNotFoundException.class);
            first.write(ByteBuffer.wrap(new byte[5]));
        }
        try (FileWriter again = driver.writer(p("upload"), true)) {
            assertThat(again.size()).isEqualTo(15);
            again.cancel();
        }
    }

    @Test
    void stagingAndForeignNamesAreNeverListed() throws Exception {
        driver.putContent(p("dir/visible"), new byte[1]);
        Path dirOnDisk = storage().resolve(root.substring(1)).resolve("dir");
        Files.writeString(dirOnDisk.resolve("editor~"), "x");
        Files.writeString(dirOnDisk.resolve("a#b"), "x");
        Files.createDirectories(dirOnDisk.resolve("lost+found/deeper"));
        Files.writeString(dirOnDisk.resolve("lost+found/deeper/file"), "x");
        try (FileWriter writer = driver.writer(p("dir/pending"), false)) {
            writer.write(ByteBuffer.wrap(new byte[3]));
        }

        assertThat(driver.list(p("dir"))).containsExactly(p("dir/visible"));
        assertThat(walk(root)).containsExactly(p("dir/visible"));
        assertThat(driver.list("/")).contains(root).noneMatch(path -> path.contains("#"));
        // Deleting the directory takes everything in it along, foreign files included.
        driver.delete(p("dir"));
        assertThat(dirOnDisk).doesNotExist();
    }

    @Test
    void directoriesPrunedByDeletesDoNotBreakConcurrentCommits() throws Exception {
        // Each thread publishes into, then deletes from, the same parent directories, so every delete prunes
        // directories that other threads are about to create or move into.
        int threads = 4;
        int rounds = 60;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String mine = "shared/a/b/obj-" + t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < rounds; i++) {
                        if (i % 2 == 0) {
                            driver.putContent(p(mine), new byte[] {(byte) i});
                        } else {
                            try (FileWriter writer = driver.writer(p(mine), false)) {
                                writer.write(ByteBuffer.wrap(new byte[] {(byte) i}));
                                writer.commit();
                            }
                        }
                        assertThat(driver.getContent(p(mine))).containsExactly((byte) i);
                        driver.move(p(mine), p("moved/x/" + mine));
                        driver.delete(p("moved/x/" + mine));
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThatThrownBy(() -> driver.list(root)).isInstanceOf(PathNotFoundException.class);
    }

    private static void assertInvalid(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(InvalidPathException.class);
    }
}
