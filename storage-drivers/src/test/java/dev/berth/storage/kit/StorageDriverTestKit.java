package dev.berth.storage.kit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.storage.BatchDeleteCapable;
import dev.berth.storage.CheckedStorageDriver;
import dev.berth.storage.FileInfo;
import dev.berth.storage.FileWriter;
import dev.berth.storage.InvalidOffsetException;
import dev.berth.storage.InvalidPathException;
import dev.berth.storage.OrderedListCapable;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite every {@link StorageDriver} passes, unchanged. A driver's test only says how to make
 * the driver:
 *
 * <pre>{@code
 * class FilesystemDriverTest extends StorageDriverTestKit {
 *     @TempDir Path dir;
 *     protected StorageDriver newDriver() throws IOException { return new FilesystemDriver(dir); }
 * }
 * }</pre>
 *
 * <p>Each case runs against the driver wrapped in {@link CheckedStorageDriver} (as production does), under a
 * fresh root {@code /kit-<uuid>}, and ends by deleting that root and checking that nothing is left behind:
 * the driver must report nothing below the root, and {@link #assertNoResidue()} lets a driver inspect its
 * backend for leaks (staging files, in-progress multipart uploads). No case may be skipped; drivers that
 * talk to a remote backend are slower but must still pass everything, including the 4 GiB case. The one
 * exception is {@link #runsHugeCase()}: a driver already passing the 4 GiB case on one backend may leave it
 * out on a second backend of the same protocol, where it would only cost minutes of CI.
 */
public abstract class StorageDriverTestKit {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GIB = 1024 * MIB;
    /** Generous bound for waiting on helper threads, so a deadlocked driver fails instead of hanging the build. */
    private static final long WAIT_MINUTES = 10;

    /** The driver under test, already wrapped in {@link CheckedStorageDriver}. */
    protected StorageDriver driver;
    /** This case's private root directory, e.g. {@code /kit-0b9f...}. */
    protected String root;

    /** Makes a fresh driver for one case. It is closed after the case. */
    protected abstract StorageDriver newDriver() throws Exception;

    /**
     * Called after the case's root was deleted: asserts the backend holds nothing the case created, such as
     * staging or temporary files or unfinished multipart uploads. The default checks nothing.
     */
    protected void assertNoResidue() throws Exception {}

    /**
     * Whether the 4 GiB case runs. Only a second backend of a driver whose 4 GiB case passes elsewhere (the S3
     * driver on Ceph, after S3Proxy) answers false.
     */
    protected boolean runsHugeCase() {
        return true;
    }

    @BeforeEach
    final void openDriver() throws Exception {
        driver = new CheckedStorageDriver(newDriver());
        root = "/kit-" + UUID.randomUUID();
    }

    @AfterEach
    final void nothingLeftBehind() throws Exception {
        try {
            try {
                driver.delete(root);
            } catch (PathNotFoundException alreadyClean) {
                // fine: the case deleted everything itself
            }
            assertThatThrownBy(() -> driver.list(root)).isInstanceOf(PathNotFoundException.class);
            assertThatThrownBy(() -> driver.stat(root)).isInstanceOf(PathNotFoundException.class);
            assertNoResidue();
        } finally {
            driver.close();
        }
    }

    // ---------------------------------------------------------------- whole-object content

    @Test
    void putContentThenGetContentRoundTrips() throws Exception {
        driver.putContent(p("a/b/manifest.json"), "{\"schemaVersion\":2}".getBytes(UTF_8));

        assertThat(driver.getContent(p("a/b/manifest.json"))).asString(UTF_8).isEqualTo("{\"schemaVersion\":2}");
    }

    @Test
    void putContentOfEmptyObject() throws Exception {
        driver.putContent(p("empty"), new byte[0]);

        assertThat(driver.getContent(p("empty"))).isEmpty();
        assertThat(driver.stat(p("empty")).size()).isZero();
        assertThat(driver.list(root)).containsExactly(p("empty"));
        assertThat(readAll(driver.reader(p("empty"), 0))).isEmpty();
    }

    @Test
    void putContentKeepsEveryByteValue() throws Exception {
        byte[] all = new byte[256 * 4];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }

        driver.putContent(p("binary"), all);

        assertThat(driver.getContent(p("binary"))).isEqualTo(all);
        assertThat(readAll(driver.reader(p("binary"), 0))).isEqualTo(all);
    }

    @Test
    void putContentOverwritesWithShorterContent() throws Exception {
        driver.putContent(p("link"), bytes(10_000, 1));
        driver.putContent(p("link"), "short".getBytes(UTF_8));

        assertThat(driver.getContent(p("link"))).asString(UTF_8).isEqualTo("short");
        assertThat(driver.stat(p("link")).size()).isEqualTo(5);
    }

    @Test
    void putContentOfTenMebibytes() throws Exception {
        byte[] content = bytes((int) (10 * MIB) + 7, 2);

        driver.putContent(p("big/config"), content);

        assertThat(driver.stat(p("big/config")).size()).isEqualTo(content.length);
        assertThat(driver.getContent(p("big/config"))).isEqualTo(content);
    }

    @Test
    void putContentImpliesParentDirectories() throws Exception {
        driver.putContent(p("a/b/c/d"), bytes(3, 3));

        for (String dir : List.of(root, p("a"), p("a/b"), p("a/b/c"))) {
            FileInfo info = driver.stat(dir);
            assertThat(info.directory()).as(dir).isTrue();
            assertThat(info.path()).isEqualTo(dir);
            assertThat(info.size()).isZero();
        }
        assertThat(driver.list(p("a/b"))).containsExactly(p("a/b/c"));
    }

    // ---------------------------------------------------------------- paths

    @Test
    void invalidPathsAreRejectedByEveryMethod() throws Exception {
        driver.putContent(p("valid"), bytes(4, 4));
        List<String> invalid = new ArrayList<>(Arrays.asList(
                null,
                "",
                "relative",
                "relative/x",
                "a/",
                " /a",
                "/a ",
                "/a b",
                root + "/../escape",
                root + "/..",
                root + "/.",
                root + "/./x",
                root + "/x/..",
                "/..",
                "/.",
                root + "/",
                root + "//x",
                "//" + root.substring(1),
                root + "\\x",
                root + "/x?y",
                root + "/x*",
                root + "/x#y",
                root + "/x%2F",
                root + "/x+y",
                root + "/x~",
                root + "/x\ty",
                root + "/x\n",
                root + "/caf\u00e9",
                root + "/x,y",
                root + "/x;y",
                root + "/x=y",
                root + "/x$",
                root + "/x'y",
                root + "/x\"y",
                root + "/x|y",
                root + "/x<y>",
                root + "/x!",
                root + "/x\u0000"));

        for (String bad : invalid) {
            assertInvalid(bad, () -> driver.getContent(bad));
            assertInvalid(bad, () -> driver.putContent(bad, new byte[1]));
            assertInvalid(bad, () -> driver.reader(bad, 0));
            assertInvalid(bad, () -> driver.writer(bad, false));
            assertInvalid(bad, () -> driver.writer(bad, true));
            assertInvalid(bad, () -> driver.stat(bad));
            assertInvalid(bad, () -> driver.list(bad));
            assertInvalid(bad, () -> driver.move(bad, p("dest")));
            assertInvalid(bad, () -> driver.move(p("valid"), bad));
            assertInvalid(bad, () -> driver.delete(bad));
            assertInvalid(bad, () -> driver.walk(bad, object -> true));
        }
        // The root is a directory, never an object.
        assertInvalid("/", () -> driver.putContent("/", new byte[1]));
        assertInvalid("/", () -> driver.writer("/", false));
        assertInvalid("/", () -> driver.move(p("valid"), "/"));

        assertThat(driver.list(root)).containsExactly(p("valid"));
        assertThat(driver.getContent(p("valid"))).isEqualTo(bytes(4, 4));
    }

    @Test
    void namesMayUseEveryAllowedPunctuation() throws Exception {
        List<String> names = List.of(
                "a.b_c:d@e-f",
                "-leading-dash",
                ".leading.dot",
                "_underscore",
                "...",
                "..x",
                "x..",
                "sha256:0123456789abcdef",
                "user@host",
                "Z9",
                "a",
                "A",
                "9");
        for (String name : names) {
            driver.putContent(p("dir/" + name + "/" + name), name.getBytes(UTF_8));
        }

        List<String> expectedDirs =
                names.stream().map(name -> p("dir/" + name)).sorted().toList();
        assertThat(driver.list(p("dir"))).containsExactlyElementsOf(expectedDirs);
        for (String name : names) {
            String path = p("dir/" + name + "/" + name);
            assertThat(driver.getContent(path)).asString(UTF_8).isEqualTo(name);
            assertThat(driver.stat(path).size()).isEqualTo(name.length());
            assertThat(driver.list(p("dir/" + name))).containsExactly(path);
        }
        driver.move(p("dir/.../..."), p("moved/a.b_c:d@e-f/-x"));
        assertThat(driver.getContent(p("moved/a.b_c:d@e-f/-x"))).asString(UTF_8).isEqualTo("...");
        assertThat(walk(root)).hasSize(names.size());
    }

    // ---------------------------------------------------------------- not found

    @Test
    void missingPathsAreNotFoundForEveryMethod() throws Exception {
        driver.putContent(p("present"), bytes(1, 5));
        for (String missing : List.of(
                p("absent"), p("absent/deeper"), p("presen"), p("present-not"), "/kit-missing-" + UUID.randomUUID())) {
            assertNotFound(missing, () -> driver.getContent(missing));
            assertNotFound(missing, () -> driver.reader(missing, 0));
            assertNotFound(missing, () -> driver.writer(missing, true));
            assertNotFound(missing, () -> driver.stat(missing));
            assertNotFound(missing, () -> driver.list(missing));
            assertNotFound(missing, () -> driver.move(missing, p("dest")));
            assertNotFound(missing, () -> driver.delete(missing));
            assertNotFound(missing, () -> driver.walk(missing, object -> true));
        }
        assertThat(driver.list(root)).containsExactly(p("present"));
    }

    @Test
    void pathsBelowAnObjectAreNotFound() throws Exception {
        driver.putContent(p("file"), bytes(8, 6));
        String below = p("file/child");

        assertNotFound(below, () -> driver.getContent(below));
        assertNotFound(below, () -> driver.reader(below, 0));
        assertNotFound(below, () -> driver.stat(below));
        assertNotFound(below, () -> driver.list(below));
        assertNotFound(below, () -> driver.delete(below));
        assertNotFound(below, () -> driver.walk(below, object -> true));
        assertNotFound(below, () -> driver.move(below, p("dest")));
        // An object has no children: listing or walking it finds nothing below it.
        assertNotFound(p("file"), () -> driver.list(p("file")));
        assertNotFound(p("file"), () -> driver.walk(p("file"), object -> true));
    }

    @Test
    void directoriesAreNotObjects() throws Exception {
        driver.putContent(p("dir/object"), bytes(8, 7));

        assertNotFound(p("dir"), () -> driver.getContent(p("dir")));
        assertNotFound(p("dir"), () -> driver.reader(p("dir"), 0));
        assertNotFound(p("dir"), () -> driver.move(p("dir"), p("elsewhere")));
        assertNotFound(p("dir"), () -> driver.writer(p("dir"), true));
        assertThat(driver.getContent(p("dir/object"))).isEqualTo(bytes(8, 7));
    }

    // ---------------------------------------------------------------- reader

    @Test
    void readerStartsAtOffsetsFromStartToEnd() throws Exception {
        byte[] content = bytes((int) (3 * MIB) + 11, 8);
        driver.putContent(p("blob"), content);

        for (long offset : new long[] {0, 1, 4095, 4096, content.length / 2, content.length - 1}) {
            try (InputStream in = driver.reader(p("blob"), offset)) {
                assertThat(readAll(in))
                        .as("offset %d", offset)
                        .isEqualTo(Arrays.copyOfRange(content, (int) offset, content.length));
            }
        }
        try (InputStream atEnd = driver.reader(p("blob"), content.length)) {
            assertThat(atEnd.read()).isEqualTo(-1);
            assertThat(atEnd.read(new byte[16])).isEqualTo(-1);
        }
        // Single-byte and bulk reads mix freely.
        try (InputStream in = driver.reader(p("blob"), 100)) {
            assertThat(in.read()).isEqualTo(content[100] & 0xff);
            byte[] chunk = new byte[1000];
            assertThat(in.readNBytes(chunk, 0, chunk.length)).isEqualTo(chunk.length);
            assertThat(chunk).isEqualTo(Arrays.copyOfRange(content, 101, 1101));
        }
    }

    @Test
    void readerPastTheEndOrBeforeTheStartIsAnInvalidOffset() throws Exception {
        driver.putContent(p("blob"), bytes(1000, 9));
        driver.putContent(p("empty"), new byte[0]);

        for (long offset : new long[] {1001, 5000, Long.MAX_VALUE, -1, Long.MIN_VALUE}) {
            Throwable thrown =
                    catchThrowable(() -> driver.reader(p("blob"), offset).close());
            assertThat(thrown).as("offset %d", offset).isInstanceOf(InvalidOffsetException.class);
            assertThat(((InvalidOffsetException) thrown).offset()).isEqualTo(offset);
        }
        assertThatThrownBy(() -> driver.reader(p("empty"), 1).close()).isInstanceOf(InvalidOffsetException.class);
        assertThat(readAll(driver.reader(p("empty"), 0))).isEmpty();
    }

    // ---------------------------------------------------------------- writer

    @Test
    void writerCommitPublishesEverythingWritten() throws Exception {
        byte[] content = bytes((int) (5 * MIB) + 3, 10);
        try (FileWriter writer = driver.writer(p("uploads/u1/data"), false)) {
            // Odd sizes, heap and direct buffers, array slices.
            int offset = 0;
            int[] sizes = {1, 7, 4096, 65_536 + 3, (int) MIB, 0, 13};
            for (int i = 0; offset < content.length; i++) {
                int n = Math.min(sizes[i % sizes.length], content.length - offset);
                if (i % 3 == 0) {
                    ByteBuffer direct = ByteBuffer.allocateDirect(n);
                    direct.put(content, offset, n).flip();
                    writer.write(direct);
                } else if (i % 3 == 1) {
                    writer.write(ByteBuffer.wrap(content, offset, n));
                } else {
                    writer.write(content, offset, n);
                }
                offset += n;
            }
            assertThat(writer.size()).isEqualTo(content.length);
            writer.commit();
        }

        assertThat(driver.getContent(p("uploads/u1/data"))).isEqualTo(content);
        assertThat(driver.stat(p("uploads/u1/data")).size()).isEqualTo(content.length);
    }

    @Test
    void writerContentIsInvisibleUntilCommit() throws Exception {
        String path = p("dir/object");
        try (FileWriter writer = driver.writer(path, false)) {
            writer.write(ByteBuffer.wrap(bytes(100_000, 11)));

            assertNothingVisibleBelowRoot(path);
            writer.write(ByteBuffer.wrap(bytes(10, 12)));
            writer.close();
            // A closed, unfinished writer is still invisible.
            assertNothingVisibleBelowRoot(path);
        }
        try (FileWriter resumed = driver.writer(path, true)) {
            assertThat(resumed.size()).isEqualTo(100_010);
            assertNothingVisibleBelowRoot(path);
            resumed.commit();
        }
        assertThat(driver.stat(path).size()).isEqualTo(100_010);
        assertThat(driver.list(root)).containsExactly(p("dir"));
    }

    @Test
    void writerSizeCountsEveryByteAccepted() throws Exception {
        try (FileWriter writer = driver.writer(p("sized"), false)) {
            assertThat(writer.size()).isZero();
            writer.write(ByteBuffer.allocate(0));
            assertThat(writer.size()).isZero();

            ByteBuffer buffer = ByteBuffer.wrap(bytes(1000, 13), 100, 300);
            writer.write(buffer);
            assertThat(buffer.hasRemaining())
                    .as("write consumes the whole buffer")
                    .isFalse();
            assertThat(buffer.position()).isEqualTo(400);
            assertThat(writer.size()).isEqualTo(300);

            writer.write(bytes(5, 14), 1, 3);
            assertThat(writer.size()).isEqualTo(303);
            writer.commit();
            assertThat(writer.size()).isEqualTo(303);
        }
        assertThat(driver.stat(p("sized")).size()).isEqualTo(303);
    }

    @Test
    void writerCommitWithoutWritesPublishesAnEmptyObject() throws Exception {
        try (FileWriter writer = driver.writer(p("nothing"), false)) {
            writer.commit();
        }

        assertThat(driver.getContent(p("nothing"))).isEmpty();
        assertThat(driver.stat(p("nothing")).directory()).isFalse();
    }

    @Test
    void writerCommitReplacesAnExistingObject() throws Exception {
        driver.putContent(p("object"), bytes(50_000, 15));

        try (FileWriter writer = driver.writer(p("object"), false)) {
            writer.write(ByteBuffer.wrap(bytes(20, 16)));
            // Until commit, readers still see the old object in full.
            assertThat(driver.getContent(p("object"))).isEqualTo(bytes(50_000, 15));
            writer.commit();
        }

        assertThat(driver.getContent(p("object"))).isEqualTo(bytes(20, 16));
    }

    @Test
    void writerCommitCreatesParentDirectories() throws Exception {
        String deep = p("a/b/c/d/e/f/g/data");
        try (FileWriter writer = driver.writer(deep, false)) {
            writer.write(ByteBuffer.wrap(bytes(64, 17)));
            writer.commit();
        }

        assertThat(driver.getContent(deep)).isEqualTo(bytes(64, 17));
        assertThat(driver.stat(p("a/b/c/d")).directory()).isTrue();
        assertThat(walk(root)).containsExactly(deep);
    }

    @Test
    void writerClosedWithoutCommitIsContinuedByANewWriter() throws Exception {
        byte[] first = bytes(70_000, 18);
        byte[] second = bytes(30_000, 19);
        try (FileWriter writer = driver.writer(p("upload/data"), false)) {
            writer.write(ByteBuffer.wrap(first));
        }
        // A new writer, as another registry process would open it for the next PATCH.
        try (FileWriter writer = driver.writer(p("upload/data"), true)) {
            assertThat(writer.size()).isEqualTo(first.length);
            writer.write(ByteBuffer.wrap(second));
            assertThat(writer.size()).isEqualTo(first.length + second.length);
            writer.commit();
        }

        assertThat(driver.getContent(p("upload/data"))).isEqualTo(concat(first, second));
        assertNotFound(p("upload/data"), () -> driver.writer(p("upload/data"), true));
    }

    @Test
    void writerAppendsAcrossManySessions() throws Exception {
        String path = p("upload/data");
        List<byte[]> chunks = new ArrayList<>();
        long expectedSize = 0;
        for (int session = 0; session < 6; session++) {
            byte[] chunk = bytes(session == 3 ? 0 : 1 + session * 12_345, 20 + session);
            chunks.add(chunk);
            try (FileWriter writer = driver.writer(path, session > 0)) {
                assertThat(writer.size()).isEqualTo(expectedSize);
                writer.write(chunk, 0, chunk.length);
                expectedSize += chunk.length;
            }
        }
        try (FileWriter writer = driver.writer(path, true)) {
            assertThat(writer.size()).isEqualTo(expectedSize);
            writer.commit();
        }

        assertThat(driver.getContent(path)).isEqualTo(concat(chunks.toArray(byte[][]::new)));
    }

    @Test
    void writerAppendWithoutUnfinishedContentIsNotFound() throws Exception {
        driver.putContent(p("committed"), bytes(10, 26));

        assertNotFound(p("never-written"), () -> driver.writer(p("never-written"), true));
        // A committed object is finished: it cannot be reopened for appending.
        assertNotFound(p("committed"), () -> driver.writer(p("committed"), true));
        assertThat(driver.getContent(p("committed"))).isEqualTo(bytes(10, 26));
    }

    @Test
    void writerWithoutAppendDiscardsUnfinishedContent() throws Exception {
        try (FileWriter writer = driver.writer(p("upload"), false)) {
            writer.write(ByteBuffer.wrap(bytes(5000, 27)));
        }
        try (FileWriter restart = driver.writer(p("upload"), false)) {
            assertThat(restart.size()).isZero();
            restart.write(ByteBuffer.wrap(bytes(10, 28)));
            restart.commit();
        }

        assertThat(driver.getContent(p("upload"))).isEqualTo(bytes(10, 28));
        assertNotFound(p("upload"), () -> driver.writer(p("upload"), true));
    }

    @Test
    void unfinishedContentIsHeldByOneWriterAtATime() throws Exception {
        String path = p("upload/data");
        try (FileWriter writer = driver.writer(path, false)) {
            writer.write(ByteBuffer.wrap(bytes(1000, 29)));
        }
        try (FileWriter holder = driver.writer(path, true)) {
            // A second request for the same upload (a retry, another replica) must not interleave its bytes.
            assertNotFound(path, () -> driver.writer(path, true));
            holder.write(ByteBuffer.wrap(bytes(500, 30)));
        }
        try (FileWriter next = driver.writer(path, true)) {
            assertThat(next.size()).isEqualTo(1500);
            next.commit();
        }

        assertThat(driver.getContent(path)).isEqualTo(concat(bytes(1000, 29), bytes(500, 30)));
    }

    @Test
    void concurrentClaimsOfUnfinishedContentHaveOneWinner() throws Exception {
        String path = p("upload/data");
        try (FileWriter writer = driver.writer(path, false)) {
            writer.write(ByteBuffer.wrap(bytes(100, 31)));
        }
        int claimants = 8;
        CyclicBarrier start = new CyclicBarrier(claimants);
        CountDownLatch decided = new CountDownLatch(claimants);
        AtomicInteger winners = new AtomicInteger();
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int i = 0; i < claimants; i++) {
            tasks.add(() -> {
                start.await(WAIT_MINUTES, TimeUnit.MINUTES);
                FileWriter won = null;
                try {
                    won = driver.writer(path, true);
                    winners.incrementAndGet();
                } catch (PathNotFoundException lost) {
                    // held by the winner
                } finally {
                    decided.countDown();
                }
                // The winner holds on until everyone tried, so nobody could claim after a quick release.
                decided.await(WAIT_MINUTES, TimeUnit.MINUTES);
                if (won != null) {
                    won.close();
                }
                return null;
            });
        }

        inParallel(claimants, tasks);

        assertThat(winners).hasValue(1);
        try (FileWriter writer = driver.writer(path, true)) {
            assertThat(writer.size()).isEqualTo(100);
            writer.cancel();
        }
    }

    @Test
    void writerCancelLeavesNothing() throws Exception {
        try (FileWriter writer = driver.writer(p("x/cancelled"), false)) {
            writer.write(ByteBuffer.wrap(bytes(100_000, 29)));
            writer.cancel();
        }
        assertNothingVisibleBelowRoot(p("x/cancelled"));
        assertNotFound(p("x/cancelled"), () -> driver.writer(p("x/cancelled"), true));

        // Cancelling a resumed writer discards what earlier writers left, too.
        try (FileWriter writer = driver.writer(p("x/resumed"), false)) {
            writer.write(ByteBuffer.wrap(bytes(1000, 30)));
        }
        try (FileWriter writer = driver.writer(p("x/resumed"), true)) {
            writer.write(ByteBuffer.wrap(bytes(1000, 31)));
            writer.cancel();
        }
        assertNothingVisibleBelowRoot(p("x/resumed"));
        assertNotFound(p("x/resumed"), () -> driver.writer(p("x/resumed"), true));
    }

    @Test
    void writerIsFinishedAfterCommitOrCancel() throws Exception {
        FileWriter committed = driver.writer(p("committed"), false);
        committed.write(ByteBuffer.wrap(bytes(10, 32)));
        committed.commit();
        assertThatThrownBy(() -> committed.write(ByteBuffer.wrap(bytes(1, 33)))).isInstanceOf(IOException.class);
        assertThatThrownBy(committed::commit).isInstanceOf(IOException.class);
        committed.close();
        committed.close();

        FileWriter cancelled = driver.writer(p("cancelled"), false);
        cancelled.write(ByteBuffer.wrap(bytes(10, 34)));
        cancelled.cancel();
        assertThatThrownBy(() -> cancelled.write(ByteBuffer.wrap(bytes(1, 35)))).isInstanceOf(IOException.class);
        assertThatThrownBy(cancelled::commit).isInstanceOf(IOException.class);
        cancelled.close();

        FileWriter closed = driver.writer(p("closed"), false);
        closed.close();
        assertThatThrownBy(() -> closed.write(ByteBuffer.wrap(bytes(1, 36)))).isInstanceOf(IOException.class);
        assertThatThrownBy(closed::commit).isInstanceOf(IOException.class);
        closed.close();
        driver.writer(p("closed"), true).cancel();

        assertThat(driver.getContent(p("committed"))).isEqualTo(bytes(10, 32));
        assertThat(driver.list(root)).containsExactly(p("committed"));
    }

    @Test
    void unfinishedContentDoesNotDisturbTheCommittedObject() throws Exception {
        driver.putContent(p("object"), bytes(4000, 37));
        try (FileWriter writer = driver.writer(p("object"), false)) {
            writer.write(ByteBuffer.wrap(bytes(9000, 38)));
        }

        assertThat(driver.getContent(p("object"))).isEqualTo(bytes(4000, 37));
        assertThat(driver.stat(p("object")).size()).isEqualTo(4000);
        assertThat(readAll(driver.reader(p("object"), 3990)))
                .isEqualTo(Arrays.copyOfRange(bytes(4000, 37), 3990, 4000));

        try (FileWriter writer = driver.writer(p("object"), true)) {
            assertThat(writer.size()).isEqualTo(9000);
            writer.commit();
        }
        assertThat(driver.getContent(p("object"))).isEqualTo(bytes(9000, 38));
    }

    // ---------------------------------------------------------------- move

    @Test
    void moveReplacesTheDestination() throws Exception {
        driver.putContent(p("uploads/u/data"), bytes(300_000, 40));
        driver.putContent(p("blobs/ab/data"), bytes(10, 41));

        driver.move(p("uploads/u/data"), p("blobs/ab/data"));

        assertThat(driver.getContent(p("blobs/ab/data"))).isEqualTo(bytes(300_000, 40));
        assertNotFound(p("uploads/u/data"), () -> driver.stat(p("uploads/u/data")));
        assertThat(driver.list(root)).containsExactly(p("blobs"));
    }

    @Test
    void moveCreatesDestinationParentsAndDropsEmptiedSourceDirectories() throws Exception {
        driver.putContent(p("src/a/b/data"), bytes(100, 42));
        driver.putContent(p("src/keep"), bytes(1, 43));

        driver.move(p("src/a/b/data"), p("dst/x/y/z/data"));

        assertThat(driver.getContent(p("dst/x/y/z/data"))).isEqualTo(bytes(100, 42));
        assertNotFound(p("src/a"), () -> driver.stat(p("src/a")));
        assertNotFound(p("src/a"), () -> driver.list(p("src/a")));
        assertThat(driver.list(p("src"))).containsExactly(p("src/keep"));
        assertThat(driver.list(root)).containsExactly(p("dst"), p("src"));
    }

    @Test
    void moveOfAMissingSourceIsNotFoundAndLeavesTheDestination() throws Exception {
        driver.putContent(p("dest"), bytes(10, 44));

        assertNotFound(p("missing"), () -> driver.move(p("missing"), p("dest")));
        assertNotFound(p("missing"), () -> driver.move(p("missing"), p("other/dest")));

        assertThat(driver.getContent(p("dest"))).isEqualTo(bytes(10, 44));
        assertThat(driver.list(root)).containsExactly(p("dest"));
    }

    // ---------------------------------------------------------------- delete

    @Test
    void deleteObjectKeepsItsSiblings() throws Exception {
        driver.putContent(p("dir/a"), bytes(1, 45));
        driver.putContent(p("dir/b"), bytes(1, 46));

        driver.delete(p("dir/a"));

        assertNotFound(p("dir/a"), () -> driver.getContent(p("dir/a")));
        assertThat(driver.list(p("dir"))).containsExactly(p("dir/b"));
    }

    @Test
    void deleteTreeRemovesEverythingBelowButNotPrefixSiblings() throws Exception {
        for (String name : List.of("a/1", "a/b/2", "a/b/c/3", "a/b/c/d/4", "ab", "a-b/5", "a.b", "a_", "b/a/6")) {
            driver.putContent(p(name), bytes(10, name.hashCode()));
        }

        driver.delete(p("a"));

        assertNotFound(p("a"), () -> driver.stat(p("a")));
        assertNotFound(p("a/b/c/3"), () -> driver.getContent(p("a/b/c/3")));
        assertThat(walk(root)).containsExactly(p("a-b/5"), p("a.b"), p("a_"), p("ab"), p("b/a/6"));
    }

    @Test
    void deleteOfAMissingPathIsNotFound() throws Exception {
        driver.putContent(p("present"), bytes(1, 47));

        assertNotFound(p("missing"), () -> driver.delete(p("missing")));
        assertNotFound(p("pres"), () -> driver.delete(p("pres")));
        driver.delete(p("present"));
        assertNotFound(p("present"), () -> driver.delete(p("present")));
    }

    @Test
    void deleteTreeAlsoDiscardsUnfinishedWritesBelowIt() throws Exception {
        // An abandoned upload: its start time is committed, its data never was.
        driver.putContent(p("uploads/u1/startedat"), "2024-01-01T00:00:00Z".getBytes(UTF_8));
        try (FileWriter writer = driver.writer(p("uploads/u1/data"), false)) {
            writer.write(ByteBuffer.wrap(bytes(200_000, 48)));
        }
        try (FileWriter writer = driver.writer(p("uploads/u1/deeper/data"), false)) {
            writer.write(ByteBuffer.wrap(bytes(2_000, 49)));
        }
        driver.putContent(p("uploads/u2/startedat"), "2024-01-01T00:00:00Z".getBytes(UTF_8));
        try (FileWriter writer = driver.writer(p("uploads/u2/data"), false)) {
            writer.write(ByteBuffer.wrap(bytes(1_000, 50)));
        }

        driver.delete(p("uploads/u1"));

        assertNotFound(p("uploads/u1/data"), () -> driver.writer(p("uploads/u1/data"), true));
        assertNotFound(p("uploads/u1/deeper/data"), () -> driver.writer(p("uploads/u1/deeper/data"), true));
        try (FileWriter survivor = driver.writer(p("uploads/u2/data"), true)) {
            assertThat(survivor.size()).isEqualTo(1_000);
        }
        // The kit's final delete of the root must discard the surviving unfinished write, too.
    }

    @Test
    void emptiedDirectoriesAreNeverReported() throws Exception {
        driver.putContent(p("keep"), bytes(1, 51));
        driver.putContent(p("a/b/c/only"), bytes(1, 52));
        driver.putContent(p("m/n/only"), bytes(1, 53));

        driver.delete(p("a/b/c/only"));
        driver.move(p("m/n/only"), p("keep"));

        for (String gone : List.of(p("a"), p("a/b"), p("a/b/c"), p("m"), p("m/n"))) {
            assertNotFound(gone, () -> driver.stat(gone));
            assertNotFound(gone, () -> driver.list(gone));
            assertNotFound(gone, () -> driver.walk(gone, object -> true));
        }
        assertThat(driver.list(root)).containsExactly(p("keep"));

        driver.delete(p("keep"));
        assertNotFound(root, () -> driver.list(root));
        assertNotFound(root, () -> driver.stat(root));
    }

    // ---------------------------------------------------------------- list

    @Test
    void listReturnsDirectChildrenSortedAsFullPaths() throws Exception {
        for (String name : List.of("b/x", "a", "c/d/e", "B", "a-b", "a.b/y", "az/deep", "0", "_u", "ab:c", "a@b")) {
            driver.putContent(p("dir/" + name), bytes(2, 54));
        }

        List<String> listed = driver.list(p("dir"));

        // Lexical order of the strings themselves; directories carry no trailing slash. (No name is both an
        // object and a directory: object stores allow that, filesystems cannot, so the kit never relies on it.)
        List<String> expected = List.of(
                p("dir/0"),
                p("dir/B"),
                p("dir/_u"),
                p("dir/a"),
                p("dir/a-b"),
                p("dir/a.b"),
                p("dir/a@b"),
                p("dir/ab:c"),
                p("dir/az"),
                p("dir/b"),
                p("dir/c"));
        assertThat(listed).containsExactlyElementsOf(expected.stream().sorted().toList());
        assertThat(listed).doesNotHaveDuplicates();
    }

    @Test
    void listAfterPagesThroughChildrenInOrder() throws Exception {
        assumeTrue(driver instanceof OrderedListCapable, "the driver lists only whole directories");
        OrderedListCapable ordered = (OrderedListCapable) driver;
        for (String name : List.of("b/x", "a", "c/d/e", "a-b", "a.b/y", "az/deep", "0", "_u", "ab")) {
            driver.putContent(p("dir/" + name), bytes(2, 58));
        }
        List<String> all = driver.list(p("dir"));

        // From the start, in pages, after an object, after a directory (whose own objects are not children),
        // after a name that does not exist, and past the end.
        assertThat(ordered.listAfter(p("dir"), null, 3)).containsExactlyElementsOf(all.subList(0, 3));
        assertThat(ordered.listAfter(p("dir"), null, 100)).containsExactlyElementsOf(all);
        assertThat(ordered.listAfter(p("dir"), "a", 2)).containsExactly(p("dir/a-b"), p("dir/a.b"));
        assertThat(ordered.listAfter(p("dir"), "a.b", 100))
                .containsExactly(p("dir/ab"), p("dir/az"), p("dir/b"), p("dir/c"));
        assertThat(ordered.listAfter(p("dir"), "aa", 2)).containsExactly(p("dir/ab"), p("dir/az"));
        assertThat(ordered.listAfter(p("dir"), "c", 10)).isEmpty();
        assertNotFound(p("nothing"), () -> ordered.listAfter(p("nothing"), null, 10));
    }

    @Test
    void listOfAPrefixThatIsNotADirectoryIsNotFound() throws Exception {
        driver.putContent(p("abc/object"), bytes(1, 55));
        driver.putContent(p("abcd"), bytes(1, 56));

        assertNotFound(p("ab"), () -> driver.list(p("ab")));
        assertNotFound(p("ab"), () -> driver.stat(p("ab")));
        assertNotFound(p("abcd"), () -> driver.list(p("abcd")));
        assertThat(driver.list(p("abc"))).containsExactly(p("abc/object"));
    }

    @Test
    void listOfTheStorageRootShowsTheCaseRoot() throws Exception {
        driver.putContent(p("x"), bytes(1, 57));

        List<String> top = driver.list("/");

        assertThat(top).contains(root);
        assertThat(top).isSorted();
        assertThat(top)
                .allSatisfy(path ->
                        assertThat(path).startsWith("/").doesNotContain("//").doesNotEndWith("/"));
        assertThat(driver.stat("/").directory()).isTrue();
    }

    @Test
    void listOfALargeDirectorySpansManyPages() throws Exception {
        // More children than one S3 ListObjects page (1,000 keys), mixing objects and directories.
        int count = 2_500;
        List<String> expected = new ArrayList<>();
        List<Callable<Void>> puts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String child = p(String.format("big/child-%05d", i));
            String object = i % 10 == 0 ? child + "/inner" : child;
            expected.add(child);
            puts.add(() -> {
                driver.putContent(object, new byte[] {1});
                return null;
            });
        }
        inParallel(8, puts);

        assertThat(driver.list(p("big"))).containsExactlyElementsOf(expected);
        AtomicInteger walked = new AtomicInteger();
        driver.walk(p("big"), object -> walked.incrementAndGet() > 0);
        assertThat(walked).hasValue(count);

        driver.delete(p("big"));
        assertNotFound(p("big"), () -> driver.list(p("big")));
    }

    @Test
    void deleteManyDeletesTheListedObjectsOnly() throws Exception {
        // More paths than one S3 DeleteObjects request takes (1,000), from putContent and from writers.
        List<String> doomed = new ArrayList<>();
        List<Callable<Void>> puts = new ArrayList<>();
        for (int i = 0; i < 1_050; i++) {
            String path = p(String.format("gc/%02d/object-%04d", i % 7, i));
            byte[] content = bytes(16, 50 + i);
            boolean viaWriter = i % 50 == 0;
            doomed.add(path);
            puts.add(() -> {
                if (viaWriter) {
                    try (FileWriter writer = driver.writer(path, false)) {
                        writer.write(content, 0, content.length);
                        writer.commit();
                    }
                } else {
                    driver.putContent(path, content);
                }
                return null;
            });
        }
        inParallel(8, puts);
        driver.putContent(p("gc/00/kept"), bytes(8, 40));
        driver.putContent(p("gc/dir/inner"), bytes(8, 41));
        List<String> request = new ArrayList<>(doomed);
        request.add(p("gc/dir")); // a directory: skipped, never deleted as a tree
        request.add(p("gc/missing")); // nothing there: skipped
        request.add(doomed.get(0)); // listed twice, deleted once

        int deleted = ((BatchDeleteCapable) driver).deleteMany(request);

        assertThat(deleted).isEqualTo(doomed.size());
        assertThat(walk(p("gc"))).containsExactly(p("gc/00/kept"), p("gc/dir/inner"));
        assertThat(driver.getContent(p("gc/dir/inner"))).isEqualTo(bytes(8, 41));
        assertThat(((BatchDeleteCapable) driver).deleteMany(List.of())).isZero();
        assertInvalid("gc/../x", () -> ((BatchDeleteCapable) driver).deleteMany(List.of("/gc/../x")));
    }

    // ---------------------------------------------------------------- walk

    @Test
    void walkVisitsObjectsInLexicalOrderOfFullPaths() throws Exception {
        List<String> objects =
                List.of("a/b/c", "a/b-c", "a/b.c/d", "a/b/d/e", "a/b0", "a/b_", "a/a", "b", "a:", "c/d/e/f");
        for (String object : objects) {
            driver.putContent(p(object), bytes(object.length(), 58));
        }
        List<FileInfo> visited = new ArrayList<>();

        driver.walk(root, visited::add);

        List<String> expected = objects.stream().map(this::p).sorted().toList();
        assertThat(visited).extracting(FileInfo::path).containsExactlyElementsOf(expected);
        assertThat(visited).allSatisfy(info -> {
            assertThat(info.directory()).isFalse();
            assertThat(info.size()).isEqualTo(info.path().length() - root.length() - 1);
        });
        assertThat(walk(p("a/b"))).containsExactly(p("a/b/c"), p("a/b/d/e"));
    }

    @Test
    void walkStopsWhenTheVisitorSaysSoAndPassesItsErrorsThrough() throws Exception {
        for (int i = 0; i < 30; i++) {
            driver.putContent(p(String.format("d%d/o%02d", i % 3, i)), bytes(1, 59));
        }
        List<String> all = walk(root);
        List<String> visited = new ArrayList<>();

        driver.walk(root, info -> {
            visited.add(info.path());
            return visited.size() < 7;
        });

        assertThat(visited).containsExactlyElementsOf(all.subList(0, 7));
        IOException own = new IOException("visitor failed");
        assertThatThrownBy(() -> driver.walk(root, info -> {
                    throw own;
                }))
                .isSameAs(own);
        IllegalStateException unchecked = new IllegalStateException("visitor bug");
        assertThatThrownBy(() -> driver.walk(root, info -> {
                    throw unchecked;
                }))
                .isSameAs(unchecked);
    }

    // ---------------------------------------------------------------- stat

    @Test
    void statDescribesObjects() throws Exception {
        Instant before = Instant.now().minus(Duration.ofMinutes(5));
        driver.putContent(p("dir/object"), bytes(12_345, 60));

        FileInfo info = driver.stat(p("dir/object"));

        assertThat(info.path()).isEqualTo(p("dir/object"));
        assertThat(info.size()).isEqualTo(12_345);
        assertThat(info.directory()).isFalse();
        assertThat(info.modTime())
                .isNotNull()
                .isAfter(before)
                .isBefore(Instant.now().plus(Duration.ofMinutes(5)));
    }

    @Test
    void statDescribesDirectories() throws Exception {
        driver.putContent(p("dir/sub/object"), bytes(100, 61));

        FileInfo info = driver.stat(p("dir"));

        assertThat(info.path()).isEqualTo(p("dir"));
        assertThat(info.directory()).isTrue();
        assertThat(info.size()).isZero();
        assertThat(driver.stat(p("dir/sub")).directory()).isTrue();
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    void concurrentWritersToOnePathNeverMix() throws Exception {
        int writers = 4;
        int size = (int) (2 * MIB) + 5;
        String path = p("contended/data");
        CyclicBarrier allOpen = new CyclicBarrier(writers);
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            byte[] content = bytes(size, 100 + w);
            boolean usePut = w % 2 == 1;
            tasks.add(() -> {
                if (usePut) {
                    allOpen.await(WAIT_MINUTES, TimeUnit.MINUTES);
                    driver.putContent(path, content);
                    return null;
                }
                try (FileWriter writer = driver.writer(path, false)) {
                    allOpen.await(WAIT_MINUTES, TimeUnit.MINUTES);
                    // Small interleaved chunks so the writers really overlap.
                    for (int offset = 0; offset < size; offset += 64 * 1024) {
                        writer.write(content, offset, Math.min(64 * 1024, size - offset));
                        Thread.yield();
                    }
                    writer.commit();
                }
                return null;
            });
        }

        inParallel(writers, tasks);

        byte[] result = driver.getContent(path);
        List<byte[]> candidates = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            candidates.add(bytes(size, 100 + w));
        }
        assertThat(candidates)
                .as("final content is exactly one writer's")
                .anySatisfy(c -> assertThat(result).isEqualTo(c));
        assertThat(driver.list(p("contended"))).containsExactly(path);
    }

    @Test
    void aReaderKeepsItsVersionWhileTheObjectIsReplaced() throws Exception {
        int size = (int) (4 * MIB);
        String path = p("replaced");
        driver.putContent(path, versioned(1, size));

        byte[] seen;
        try (InputStream in = driver.reader(path, 0)) {
            byte[] head = in.readNBytes(size / 4);
            try (FileWriter writer = driver.writer(path, false)) {
                writer.write(ByteBuffer.wrap(versioned(2, size)));
                writer.commit();
            }
            driver.putContent(path, versioned(3, size));
            byte[] tail;
            try {
                tail = readAll(in);
            } catch (IOException failed) {
                return; // failing is allowed; mixing versions is not
            }
            seen = concat(head, tail);
        }

        assertThat(seen).hasSize(size);
        assertThat(versionOf(seen)).as("a reader never mixes versions").isIn(1L, 2L, 3L);
        assertThat(driver.getContent(path)).isEqualTo(versioned(3, size));
    }

    @Test
    void putContentRacingADeleteOfItsDirectoryNeverFails() throws Exception {
        // A tag moved by one client while another deletes it: either order is a valid outcome, an error is not.
        String dir = p("tags/t");
        String path = dir + "/current/link";
        int rounds = 25;
        List<Callable<Void>> tasks = new ArrayList<>();
        tasks.add(() -> {
            for (int i = 0; i < rounds; i++) {
                driver.putContent(path, ("v" + i).getBytes(UTF_8));
            }
            return null;
        });
        tasks.add(() -> {
            for (int i = 0; i < rounds; i++) {
                try {
                    driver.delete(dir);
                } catch (PathNotFoundException alreadyGone) {
                    // the put has not landed yet
                }
            }
            return null;
        });

        inParallel(2, tasks);

        driver.putContent(path, "last".getBytes(UTF_8));
        assertThat(driver.getContent(path)).isEqualTo("last".getBytes(UTF_8));
    }

    @Test
    void readersDuringRepeatedOverwritesSeeWholeVersions() throws Exception {
        int size = (int) (1 * MIB) + 17;
        String path = p("hot/manifest");
        driver.putContent(path, versioned(0, size));
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger reads = new AtomicInteger();
        List<Callable<Void>> tasks = new ArrayList<>();
        tasks.add(() -> {
            try {
                for (int v = 1; v <= 12; v++) {
                    if (v % 2 == 0) {
                        driver.putContent(path, versioned(v, size));
                    } else {
                        try (FileWriter writer = driver.writer(path, false)) {
                            writer.write(ByteBuffer.wrap(versioned(v, size)));
                            writer.commit();
                        }
                    }
                }
            } finally {
                done.set(true);
            }
            return null;
        });
        for (int r = 0; r < 2; r++) {
            boolean streaming = r == 1;
            tasks.add(() -> {
                do {
                    byte[] content = streaming ? readAll(driver.reader(path, 0)) : driver.getContent(path);
                    assertThat(content).hasSize(size);
                    assertThat(versionOf(content)).isBetween(0L, 12L);
                    reads.incrementAndGet();
                } while (!done.get());
                return null;
            });
        }

        inParallel(3, tasks);

        assertThat(reads.get()).isGreaterThanOrEqualTo(2);
        assertThat(versionOf(driver.getContent(path))).isEqualTo(12);
    }

    // ---------------------------------------------------------------- large objects

    @Test
    void offsetsBeyondFourGibibytes() throws Exception {
        assumeTrue(runsHugeCase(), "the 4 GiB case runs on another backend of this driver");
        long size = 4 * GIB + MIB;
        String path = p("huge/data");
        int block = (int) (8 * MIB);
        ByteBuffer buffer = ByteBuffer.allocateDirect(block);
        for (int i = 0; i < block; i++) {
            buffer.put(i, patternByte(i));
        }
        try (FileWriter writer = driver.writer(path, false)) {
            for (long offset = 0; offset < size; offset += block) {
                int n = (int) Math.min(block, size - offset);
                stampPages(buffer, offset, n);
                buffer.limit(n).position(0);
                writer.write(buffer);
                buffer.clear();
            }
            assertThat(writer.size()).isEqualTo(size);
            writer.commit();
        }

        FileInfo info = driver.stat(path);
        assertThat(info.size()).isEqualTo(size).isGreaterThan(Integer.MAX_VALUE);
        for (long offset : new long[] {0, 2 * GIB - 3, 4 * GIB - 5_000, 4 * GIB, 4 * GIB + 12_345, size - 70_000}) {
            try (InputStream in = driver.reader(path, offset)) {
                byte[] got = in.readNBytes(65_536);
                assertThat(got.length).isEqualTo((int) Math.min(65_536, size - offset));
                for (int i = 0; i < got.length; i++) {
                    if (got[i] != expectedHugeByte(offset + i)) {
                        throw new AssertionError("byte " + (offset + i) + " differs at read offset " + offset);
                    }
                }
            }
        }
        try (InputStream tail = driver.reader(path, size - 10)) {
            assertThat(readAll(tail)).hasSize(10);
        }
        assertThat(readAll(driver.reader(path, size))).isEmpty();
        assertThatThrownBy(() -> driver.reader(path, size + 1).close()).isInstanceOf(InvalidOffsetException.class);
        driver.move(path, p("huge/moved"));
        assertThat(driver.stat(p("huge/moved")).size()).isEqualTo(size);
    }

    // ---------------------------------------------------------------- helpers for cases and subclasses

    /** A path below this case's root. */
    protected final String p(String relative) {
        return root + "/" + relative;
    }

    /** Deterministic pseudo-random content: equal arguments give equal bytes. */
    protected static byte[] bytes(int length, long seed) {
        byte[] content = new byte[length];
        new Random(seed * 1_000_003L + length).nextBytes(content);
        return content;
    }

    protected static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    /** The paths {@link StorageDriver#walk} visits below {@code path}, in order. */
    protected final List<String> walk(String path) throws IOException {
        List<String> paths = new ArrayList<>();
        driver.walk(path, info -> paths.add(info.path()));
        return paths;
    }

    private void assertNothingVisibleBelowRoot(String path) {
        assertNotFound(path, () -> driver.stat(path));
        assertNotFound(path, () -> driver.getContent(path));
        assertNotFound(path, () -> driver.reader(path, 0));
        assertNotFound(path, () -> driver.list(path.substring(0, path.lastIndexOf('/'))));
        assertNotFound(root, () -> driver.list(root));
        assertNotFound(root, () -> driver.walk(root, object -> true));
        assertNotFound(root, () -> driver.stat(root));
    }

    private static void assertNotFound(String path, ThrowingCallable call) {
        assertThatThrownBy(call).as("not found: %s", path).isInstanceOf(PathNotFoundException.class);
    }

    private static void assertInvalid(String path, ThrowingCallable call) {
        assertThatThrownBy(call).as("invalid: %s", path).isInstanceOf(InvalidPathException.class);
    }

    private static byte[] concat(byte[]... parts) {
        int total = 0;
        for (byte[] part : parts) {
            total += part.length;
        }
        byte[] all = new byte[total];
        int offset = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, offset, part.length);
            offset += part.length;
        }
        return all;
    }

    /**
     * Content that names its version in every 4 KiB page, so any mix of two versions is detectable: the
     * version of a whole, untorn object, or -1 for a torn one.
     */
    private static byte[] versioned(long version, int size) {
        byte[] content = bytes(size, 7_000 + version);
        ByteBuffer stamp = ByteBuffer.wrap(content);
        for (int page = 0; page + 8 <= size; page += 4096) {
            stamp.putLong(page, version);
        }
        return content;
    }

    private static long versionOf(byte[] content) {
        long version = ByteBuffer.wrap(content).getLong(0);
        if (!Arrays.equals(content, versioned(version, content.length))) {
            return -1;
        }
        return version;
    }

    private static byte patternByte(long offsetInPage) {
        return (byte) (offsetInPage * 31 + (offsetInPage >>> 8));
    }

    /** Writes each 4 KiB page's absolute offset into its first 8 bytes, so a read at a wrong offset shows. */
    private static void stampPages(ByteBuffer buffer, long blockOffset, int length) {
        for (int page = 0; page < length; page += 4096) {
            buffer.putLong(page, blockOffset + page);
        }
    }

    private static byte expectedHugeByte(long offset) {
        long inPage = offset & 4095;
        if (inPage < 8) {
            long pageStart = offset - inPage;
            return (byte) (pageStart >>> (8 * (7 - inPage)));
        }
        return patternByte(offset & (8 * MIB - 1));
    }

    /** Runs tasks on {@code threads} threads and rethrows the first failure. */
    private static void inParallel(int threads, List<? extends Callable<Void>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Void>> futures = new ArrayList<>();
            for (Callable<Void> task : tasks) {
                futures.add(pool.submit(task));
            }
            for (Future<Void> future : futures) {
                try {
                    future.get(WAIT_MINUTES, TimeUnit.MINUTES);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof Exception cause) {
                        throw cause;
                    }
                    throw new AssertionError(e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(1, TimeUnit.MINUTES);
        }
    }
}
