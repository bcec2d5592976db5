package dev.berth.storage.s3;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.berth.storage.FileInfo;
import dev.berth.storage.FileWriter;
import dev.berth.storage.InvalidPathException;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StoragePaths;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The S3 driver's own design, checked against a real S3 server: pointers make publishing O(1) (zero bytes
 * copied by the server), unfinished writes move between replicas, crashes leak rather than lose, abandoned
 * uploads are purged, and redirects serve the bytes.
 */
class S3DriverDesignTest {
    private static final int MIB = 1024 * 1024;

    @RegisterExtension
    static final S3ProxyExtension S3 = S3ProxyExtension.filesystem();

    private static S3ProxyServer server;
    private static S3Client bucket;

    private String prefix;
    private S3Layout layout;
    private S3DriverConfig config;
    private S3Driver driver;

    @BeforeAll
    static void connect() {
        server = S3.server();
        bucket = S3.client();
    }

    @BeforeEach
    void newDriver() {
        prefix = "design-" + UUID.randomUUID();
        layout = new S3Layout(prefix);
        config = server.driverConfig().rootPrefix(prefix).build();
        driver = new S3Driver(config);
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    // ---------------------------------------------------------------- O(1) publish

    @Test
    void aHundredMebibyteUploadSpreadOverTwoReplicasIsPublishedWithoutTheServerCopyingAByte() throws Exception {
        long total = 100L * MIB;
        String upload = "/docker/registry/v2/repositories/app/_uploads/" + UUID.randomUUID() + "/data";
        MessageDigest pushed = MessageDigest.getInstance("SHA-256");
        SplittableRandom random = new SplittableRandom(42);
        // PATCH bodies of uneven sizes, alternating between two registry replicas that share only the bucket.
        long[] patchSizes = {3L * MIB + 1, 17L * MIB, 1, 25L * MIB - 3, 9L * MIB + 12_345, 30L * MIB};
        try (S3Driver replicaA = new S3Driver(config);
                S3Driver replicaB = new S3Driver(config)) {
            long written = 0;
            for (int patch = 0; written < total; patch++) {
                S3Driver replica = patch % 2 == 0 ? replicaA : replicaB;
                long length = Math.min(patchSizes[patch % patchSizes.length], total - written);
                try (FileWriter writer = replica.writer(upload, patch > 0)) {
                    assertThat(writer.size()).isEqualTo(written);
                    byte[] piece = new byte[64 * 1024];
                    for (long sent = 0; sent < length; sent += piece.length) {
                        int n = (int) Math.min(piece.length, length - sent);
                        random.nextBytes(piece);
                        pushed.update(piece, 0, n);
                        writer.write(piece, 0, n);
                    }
                    written += length;
                    assertThat(writer.size()).isEqualTo(written);
                }
            }
            String digest = HexFormat.of().formatHex(pushed.digest());
            String blob = "/docker/registry/v2/blobs/sha256/" + digest.substring(0, 2) + "/" + digest + "/data";

            server.store().resetCounters();
            try (FileWriter writer = replicaB.writer(upload, true)) {
                assertThat(writer.size()).isEqualTo(total);
                writer.commit();
            }
            replicaA.move(upload, blob);
            long copiesDuringCommitAndMove = server.store().copies();
            long bytesCopiedDuringCommitAndMove = server.store().copiedBytes();

            assertThat(copiesDuringCommitAndMove)
                    .as("server-side copies during commit and move")
                    .isZero();
            assertThat(bytesCopiedDuringCommitAndMove)
                    .as("bytes copied by the server during commit and move")
                    .isZero();
            assertThat(replicaB.stat(blob).size()).isEqualTo(total);
            assertThat(sha256(replicaA.reader(blob, 0)))
                    .as("content read back by digest")
                    .isEqualTo(digest);
            assertThatThrownBy(() -> replicaA.stat(upload)).isInstanceOf(PathNotFoundException.class);
            // The blob's key holds a 128-byte pointer; the bytes live in exactly one data object.
            HeadObjectResponse pointer =
                    bucket.headObject(b -> b.bucket(server.bucket()).key(layout.key(blob)));
            assertThat(pointer.contentLength()).isEqualTo(Pointer.LENGTH);
            assertThat(pointer.contentType()).isEqualTo(Pointer.CONTENT_TYPE);
            List<S3Object> data = hidden("data/");
            assertThat(data).hasSize(1);
            assertThat(data.get(0).size()).isEqualTo(total);

            // The counter is not blind: a server-side copy of the same object shows up in full.
            bucket.copyObject(b -> b.sourceBucket(server.bucket())
                    .sourceKey(data.get(0).key())
                    .destinationBucket(server.bucket())
                    .destinationKey(prefix + "-copy"));
            assertThat(server.store().copies()).isEqualTo(1);
            assertThat(server.store().copiedBytes()).isEqualTo(total);
            bucket.deleteObject(b -> b.bucket(server.bucket()).key(prefix + "-copy"));
            System.out.printf(
                    "100 MiB upload: %d server-side copies, %d bytes copied during commit+move%n",
                    copiesDuringCommitAndMove, bytesCopiedDuringCommitAndMove);

            replicaA.delete("/docker");
        }
        assertNoResidue();
    }

    @Test
    void theCopyCounterSeesEveryKindOfServerSideCopy() throws Exception {
        byte[] content = random(6 * MIB + 5, 1);
        driver.putContent("/plain", content);
        server.store().resetCounters();

        // A plain (putContent) object has no pointer: moving it is a server-side copy, and the counter sees it.
        driver.move("/plain", "/moved");
        assertThat(server.store().copies()).isEqualTo(1);
        assertThat(server.store().copiedBytes()).isEqualTo(content.length);

        // UploadPartCopy counts its range.
        String target = prefix + "-part-copy";
        String uploadId = bucket.createMultipartUpload(
                        b -> b.bucket(server.bucket()).key(target))
                .uploadId();
        bucket.uploadPartCopy(b -> b.sourceBucket(server.bucket())
                .sourceKey(layout.key("/moved"))
                .destinationBucket(server.bucket())
                .destinationKey(target)
                .uploadId(uploadId)
                .partNumber(1)
                .copySourceRange("bytes=0-1048575"));
        assertThat(server.store().copies()).isEqualTo(2);
        assertThat(server.store().copiedBytes()).isEqualTo(content.length + MIB);
        bucket.abortMultipartUpload(b -> b.bucket(server.bucket()).key(target).uploadId(uploadId));
        assertThat(driver.getContent("/moved")).isEqualTo(content);
        driver.delete("/moved");
        assertNoResidue();
    }

    @Test
    void listAndWalkHideTheDriverNamespaceAndReportLogicalSizes() throws Exception {
        byte[] big = random(12 * MIB + 3, 2);
        commit(driver, "/blobs/big/data", big);
        // Exactly pointer-sized plain content must not be taken for a pointer.
        byte[] pointerSized = random(Pointer.LENGTH, 3);
        driver.putContent("/links/one", pointerSized);
        try (FileWriter unfinished = driver.writer("/uploads/u/data", false)) {
            unfinished.write(random(1000, 4), 0, 1000);
        }

        assertThat(driver.list("/")).containsExactly("/blobs", "/links");
        List<FileInfo> walked = new ArrayList<>();
        driver.walk("/", walked::add);
        assertThat(walked).extracting(FileInfo::path).containsExactly("/blobs/big/data", "/links/one");
        assertThat(walked).extracting(FileInfo::size).containsExactly((long) big.length, (long) Pointer.LENGTH);
        assertThat(driver.stat("/blobs/big/data").size()).isEqualTo(big.length);
        assertThat(driver.getContent("/links/one")).isEqualTo(pointerSized);
        assertThatThrownBy(() -> driver.stat("/uploads")).isInstanceOf(PathNotFoundException.class);

        driver.delete("/");
        assertNoResidue();
    }

    @Test
    void overwritingOrDeletingAPointerDeletesTheDataItOwned() throws Exception {
        commit(driver, "/a", random(7 * MIB, 5));
        commit(driver, "/a", random(6 * MIB, 6));
        assertThat(hidden("data/")).hasSize(1);
        driver.putContent("/a", "plain now".getBytes(UTF_8));
        assertThat(hidden("data/")).isEmpty();
        commit(driver, "/b", random(100, 7));
        driver.move("/b", "/a");
        assertThat(hidden("data/")).hasSize(1);
        driver.delete("/a");
        assertNoResidue();
    }

    @Test
    void aGetThatMixesTwoVersionsIsResolvedAgainAndForgedPointersAreNotFollowed() throws Exception {
        // S3Proxy's filesystem store reads a GET's metadata and bytes separately, so an object replaced
        // meanwhile can come back with one version's content type and another's body (the kit once caught a
        // reader returning pointer bytes this way). The store below reproduces that on demand.
        byte[] plain = random(MIB + 17, 30);
        byte[] blob = random(MIB + 18, 31);
        driver.putContent("/plain", plain);
        commit(driver, "/blob", blob);

        // Plain headers, pointer bytes: the metadata is asked again and the pointer followed.
        server.store().mixNextGet(layout.key("/blob"), layout.key("/plain"));
        assertThat(driver.getContent("/blob")).isEqualTo(blob);
        // Pointer headers, plain bytes: resolved again.
        server.store().mixNextGet(layout.key("/plain"), layout.key("/blob"));
        assertThat(driver.getContent("/plain")).isEqualTo(plain);
        // Plain content that happens to be a pointer's bytes (say, a pushed "manifest") stays plain content:
        // nobody can read a blob by forging a pointer to it.
        byte[] forged = bucket.getObjectAsBytes(b -> b.bucket(server.bucket()).key(layout.key("/blob")))
                .asByteArray();
        assertThat(forged).hasSize(Pointer.LENGTH);
        driver.putContent("/forged", forged);
        assertThat(driver.getContent("/forged")).isEqualTo(forged);
        assertThat(driver.stat("/forged").size()).isEqualTo(Pointer.LENGTH);

        driver.delete("/");
        assertNoResidue();
    }

    // ---------------------------------------------------------------- crash safety

    @Test
    void aMoveThatCrashedAfterWritingTheDestinationLeavesTheSourceHarmless() throws Exception {
        byte[] content = random(11 * MIB, 8);
        commit(driver, "/uploads/u/data", content);
        // The state a crash between "write destination pointer" and "delete source pointer" leaves behind.
        crashedMove("/uploads/u/data", "/blobs/b/data", true);

        driver.delete("/uploads/u"); // the registry purging the upload directory
        assertThat(driver.getContent("/blobs/b/data")).isEqualTo(content);
        assertThat(hidden("data/")).hasSize(1);

        driver.delete("/blobs/b/data");
        assertNoResidue();
    }

    @Test
    void aMoveThatCrashedAfterTransferringOwnershipCanBeRetriedAndOtherwiseOnlyLeaks() throws Exception {
        byte[] content = random(6 * MIB, 9);
        commit(driver, "/uploads/u/data", content);
        crashedMove("/uploads/u/data", "/blobs/b/data", false);

        // Retried: completes.
        driver.move("/uploads/u/data", "/blobs/b/data");
        assertThat(driver.getContent("/blobs/b/data")).isEqualTo(content);
        driver.delete("/blobs/b/data");
        assertNoResidue();

        // Not retried: deleting the source does not delete data that it no longer owns; the data leaks.
        commit(driver, "/uploads/v/data", content);
        crashedMove("/uploads/v/data", "/blobs/c/data", false);
        driver.delete("/uploads/v");
        assertThat(hidden("data/")).as("leaked, not lost").hasSize(1);
        for (S3Object leaked : hidden("")) {
            bucket.deleteObject(b -> b.bucket(server.bucket()).key(leaked.key()));
        }
    }

    @Test
    void dataThatACrashedMoveLeakedIsSweptOnceOlderThanTheCutoffAndNamedDataStays() throws Exception {
        byte[] content = random(MIB, 14);
        // A crash after the owner record moved to the destination, then the source deleted: nothing names the data.
        commit(driver, "/uploads/v/data", content);
        crashedMove("/uploads/v/data", "/blobs/c/data", false);
        driver.delete("/uploads/v");
        List<S3Object> leaked = hidden("data/");
        assertThat(leaked).hasSize(1);
        // Named data stays: a plain commit, and a move that crashed with both pointers written.
        byte[] small = random(100, 15);
        commit(driver, "/blobs/kept/data", small);
        commit(driver, "/uploads/w/data", content);
        crashedMove("/uploads/w/data", "/blobs/d/data", true);

        assertThat(driver.sweepLeftovers(leaked.get(0).lastModified()))
                .as("not older than the cutoff")
                .isZero();
        assertThat(hidden("data/")).hasSize(3);

        assertThat(driver.sweepLeftovers(Instant.now().plus(Duration.ofHours(1))))
                .isEqualTo(1);
        assertThat(hidden("data/"))
                .extracting(S3Object::key)
                .doesNotContain(leaked.get(0).key())
                .hasSize(2);
        assertThat(hidden("owner/")).hasSize(2);
        assertThat(driver.getContent("/blobs/kept/data")).isEqualTo(small);
        assertThat(driver.getContent("/blobs/d/data")).isEqualTo(content);
        assertThat(driver.getContent("/uploads/w/data")).isEqualTo(content);

        driver.delete("/uploads");
        driver.delete("/blobs");
        assertNoResidue();
    }

    @Test
    void aDanglingPointerIsNeverMovedAndReadsAsMissing() throws Exception {
        commit(driver, "/src", random(100, 10));
        for (S3Object data : hidden("data/")) {
            bucket.deleteObject(b -> b.bucket(server.bucket()).key(data.key()));
        }

        assertThatThrownBy(() -> driver.getContent("/src")).isInstanceOf(PathNotFoundException.class);
        assertThatThrownBy(() -> driver.move("/src", "/dst")).isInstanceOf(PathNotFoundException.class);
        assertThatThrownBy(() -> driver.stat("/dst")).isInstanceOf(PathNotFoundException.class);
        assertThatThrownBy(() -> driver.stat("/src")).isInstanceOf(PathNotFoundException.class);
        for (S3Object owner : hidden("owner/")) {
            bucket.deleteObject(b -> b.bucket(server.bucket()).key(owner.key()));
        }
        assertNoResidue();
    }

    // ---------------------------------------------------------------- resumable writers

    @Test
    void partsUploadedByAWriterThatDiedBeforeClosingAreIgnored() throws Exception {
        byte[] first = random(12 * MIB, 11);
        byte[] lost = random(25 * MIB, 12);
        byte[] last = random(MIB + 7, 13);
        try (FileWriter writer = driver.writer("/up/data", false)) {
            writer.write(first, 0, first.length); // one 10 MiB part, 2 MiB tail kept in the session on close
        }
        // The dead writer's claim blocks the upload for the claim lease (see S3Driver, "Claims"): a short one here.
        S3DriverConfig shortLease = config.toBuilder()
                .uploadClaimLease(java.time.Duration.ofSeconds(1))
                .build();
        try (S3Driver dying = new S3Driver(shortLease)) {
            FileWriter writer = dying.writer("/up/data", true);
            writer.write(lost, 0, lost.length); // uploads parts 2 and 3, then the process dies: no close
        }
        // Taken over once the lease has run out (judged with Last-Modified and Date, to the second).
        try (S3Driver survivor = new S3Driver(shortLease);
                FileWriter writer = await().atMost(Duration.ofSeconds(15))
                        .pollInterval(Duration.ofMillis(250))
                        .ignoreException(PathNotFoundException.class)
                        .until(() -> survivor.writer("/up/data", true), w -> true)) {
            assertThat(writer.size()).isEqualTo(first.length);
            writer.write(last, 0, last.length);
            writer.commit();
        }

        byte[] expected = new byte[first.length + last.length];
        System.arraycopy(first, 0, expected, 0, first.length);
        System.arraycopy(last, 0, expected, first.length, last.length);
        assertThat(driver.getContent("/up/data")).isEqualTo(expected);
        driver.delete("/up");
        assertNoResidue();
    }

    // ---------------------------------------------------------------- purge

    @Test
    void purgeUploadsAbortsAbandonedWritesAndKeepsRecentOnesAndCommittedContent() throws Exception {
        try (FileWriter writer = driver.writer("/uploads/1/data", false)) {
            writer.write(random(12 * MIB, 14), 0, 12 * MIB); // multipart upload + session
        }
        try (FileWriter writer = driver.writer("/uploads/2/data", false)) {
            writer.write(random(1000, 15), 0, 1000); // session only
        }
        FileWriter died = driver.writer("/uploads/3/data", false);
        died.write(random(11 * MIB, 16), 0, 11 * MIB); // multipart upload, never closed: no session
        commit(driver, "/blobs/kept/data", random(11 * MIB, 17));
        driver.putContent("/links/kept", "x".getBytes(UTF_8));

        assertThat(driver.purgeUploads(Duration.ofHours(1)))
                .as("nothing is an hour old yet")
                .isZero();
        assertThat(uploads()).hasSize(2);
        assertThat(hidden("uploads/")).hasSize(2);

        try (S3Driver later = new S3Driver(config, Clock.offset(Clock.systemUTC(), Duration.ofHours(2)))) {
            assertThat(later.purgeUploads(Duration.ofHours(1))).isEqualTo(3);
        }

        assertThat(uploads()).isEmpty();
        assertThat(hidden("uploads/")).isEmpty();
        assertThatThrownBy(() -> driver.writer("/uploads/1/data", true)).isInstanceOf(PathNotFoundException.class);
        assertThatThrownBy(() -> driver.writer("/uploads/2/data", true)).isInstanceOf(PathNotFoundException.class);
        assertThat(driver.stat("/blobs/kept/data").size()).isEqualTo(11 * MIB);
        assertThat(driver.getContent("/links/kept")).asString(UTF_8).isEqualTo("x");
        driver.delete("/");
        assertNoResidue();
    }

    // ---------------------------------------------------------------- redirects

    @Test
    void redirectUrlsArePresignedAndServeTheBytes() throws Exception {
        byte[] blob = random(3 * MIB + 1, 18);
        byte[] small = "{\"manifest\":true}".getBytes(UTF_8);
        commit(driver, "/blobs/x/data", blob);
        driver.putContent("/small", small);
        assertThat(driver.redirectUrl("/blobs/x/data", Duration.ofMinutes(5)))
                .as("redirects off")
                .isEmpty();

        try (S3Driver redirecting =
                new S3Driver(config.toBuilder().redirect(true).build())) {
            URI url = redirecting
                    .redirectUrl("/blobs/x/data", Duration.ofMinutes(5))
                    .orElseThrow();
            assertThat(url.getRawQuery()).contains("X-Amz-Signature=").doesNotContain(server.secretKey());
            HttpClient http = HttpClient.newBuilder()
                    .followRedirects(HttpClient.Redirect.NORMAL)
                    .build();
            HttpResponse<byte[]> response =
                    http.send(HttpRequest.newBuilder(url).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(blob);

            URI smallUrl =
                    redirecting.redirectUrl("/small", Duration.ofMinutes(1)).orElseThrow();
            assertThat(http.send(
                                    HttpRequest.newBuilder(smallUrl).GET().build(),
                                    HttpResponse.BodyHandlers.ofByteArray())
                            .body())
                    .isEqualTo(small);
            // Tampering breaks the signature.
            URI tampered = URI.create(url.toString().replace("X-Amz-Expires=", "X-Amz-Expires=1"));
            assertThat(http.send(HttpRequest.newBuilder(tampered).GET().build(), HttpResponse.BodyHandlers.discarding())
                            .statusCode())
                    .isEqualTo(403);

            assertThat(redirecting.redirectUrl("/small", Duration.ofDays(8)))
                    .as("longer than SigV4 allows")
                    .isEmpty();
            assertThatThrownBy(() -> redirecting.redirectUrl("/missing", Duration.ofMinutes(1)))
                    .isInstanceOf(PathNotFoundException.class);
        }
        driver.delete("/");
        assertNoResidue();
    }

    // ---------------------------------------------------------------- configuration

    @Test
    void noSpiPathCanReachTheHiddenNamespace() {
        // The layout relies on '~' being outside the SPI's path alphabet; if that ever changes, this fails.
        assertThatThrownBy(() -> StoragePaths.check("/" + S3Layout.HIDDEN)).isInstanceOf(InvalidPathException.class);
        assertThatThrownBy(() -> StoragePaths.check("/a/" + S3Layout.HIDDEN + "/data"))
                .isInstanceOf(InvalidPathException.class);
        assertThatThrownBy(() -> driver.putContent("/" + S3Layout.HIDDEN + "/data/x", new byte[1]))
                .isInstanceOf(InvalidPathException.class);
    }

    @Test
    void configurationRejectsPartsBelowTheS3Minimum() {
        assertThatThrownBy(() -> server.driverConfig().partSize(5 * MIB - 1).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(server.driverConfig().build().partSize()).isEqualTo(10L * MIB);
        assertThat(server.driverConfig().rootPrefix("/a/b/").build().rootPrefix())
                .isEqualTo("a/b");
        assertThat(server.driverConfig().build().toString()).doesNotContain(server.secretKey());
    }

    @Test
    void serverSideEncryptionIsRequestedForEveryObject() throws Exception {
        // S3Proxy's filesystem store refuses encryption headers; its in-memory store records them.
        try (S3ProxyServer memory = S3ProxyServer.launchInMemory();
                S3Client memoryBucket = memory.newClient();
                S3Driver encrypting = new S3Driver(memory.driverConfig()
                        .rootPrefix(prefix)
                        .serverSideEncryption(S3DriverConfig.ServerSideEncryption.AES256)
                        .build())) {
            encrypting.putContent("/plain", "p".getBytes(UTF_8));
            commit(encrypting, "/multi", random(6 * MIB, 19));
            try (FileWriter unfinished = encrypting.writer("/unfinished", false)) {
                unfinished.write(random(100, 20), 0, 100);
            }

            assertThat(encrypting.getContent("/plain")).asString(UTF_8).isEqualTo("p");
            assertThat(encrypting.stat("/multi").size()).isEqualTo(6 * MIB);
            List<S3Object> all =
                    memoryBucket
                            .listObjectsV2Paginator(
                                    b -> b.bucket(memory.bucket()).prefix(prefix + "/"))
                            .contents()
                            .stream()
                            .toList();
            assertThat(all).hasSizeGreaterThanOrEqualTo(5); // plain, pointer, data, owner, session
            for (S3Object object : all) {
                assertThat(memoryBucket
                                .headObject(b -> b.bucket(memory.bucket()).key(object.key()))
                                .serverSideEncryptionAsString())
                        .as(object.key())
                        .isEqualTo("AES256");
            }
            encrypting.delete("/");
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Leaves the bucket as a crashed move would: owner record moved, and optionally the destination written. */
    private void crashedMove(String source, String dest, boolean destinationWritten) {
        ResponseBytes<GetObjectResponse> pointer =
                bucket.getObjectAsBytes(b -> b.bucket(server.bucket()).key(layout.key(source)));
        String dataId = pointer.response().metadata().get(Pointer.META_TARGET);
        bucket.putObject(b -> b.bucket(server.bucket()).key(layout.ownerKey(dataId)), RequestBody.fromString(dest));
        if (destinationWritten) {
            bucket.putObject(
                    b -> b.bucket(server.bucket())
                            .key(layout.key(dest))
                            .contentType(pointer.response().contentType())
                            .metadata(pointer.response().metadata()),
                    RequestBody.fromBytes(pointer.asByteArray()));
        }
    }

    private static void commit(S3Driver target, String path, byte[] content) throws IOException {
        try (FileWriter writer = target.writer(path, false)) {
            writer.write(content, 0, content.length);
            writer.commit();
        }
    }

    private List<S3Object> hidden(String area) {
        return bucket
                .listObjectsV2Paginator(b -> b.bucket(server.bucket()).prefix(layout.hiddenPrefix() + area))
                .contents()
                .stream()
                .toList();
    }

    private List<MultipartUpload> uploads() {
        return bucket
                .listMultipartUploadsPaginator(b -> b.bucket(server.bucket()).prefix(prefix + "/"))
                .uploads()
                .stream()
                .toList();
    }

    private void assertNoResidue() {
        assertThat(uploads())
                .extracting(MultipartUpload::key)
                .as("unfinished multipart uploads")
                .isEmpty();
        assertThat(hidden("")).extracting(S3Object::key).as("hidden namespace").isEmpty();
        assertThat(bucket.listObjectsV2Paginator(b -> b.bucket(server.bucket()).prefix(prefix + "/"))
                        .contents())
                .extracting(S3Object::key)
                .as("anything")
                .isEmpty();
    }

    private static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }

    private static String sha256(InputStream in) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (in) {
            byte[] buffer = new byte[256 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
