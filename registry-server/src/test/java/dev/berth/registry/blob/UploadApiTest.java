package dev.berth.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.testing.Resp;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The upload endpoints over real HTTP: every push method of the spec and every error path. */
class UploadApiTest extends BlobApiSupport {

    @Test
    void postThenPutMonolithic() {
        String repo = newRepo("postput");
        byte[] content = randomBytes(3000, 1);
        Digest digest = sha256(content);

        Resp post = send("POST", "/v2/" + repo + "/blobs/uploads/", (byte[]) null);
        assertThat(post.status()).isEqualTo(202);
        String location = post.header("Location");
        assertThat(location).startsWith("/v2/" + repo + "/blobs/uploads/");
        assertThat(post.header("Range")).isEqualTo("0-0");
        assertThat(location).endsWith(post.header("Docker-Upload-UUID"));
        assertThat(post.header("OCI-Chunk-Min-Length")).isEqualTo("1024");

        Resp put = send("PUT", location + "?digest=" + digest, content, "Content-Type", "application/octet-stream");
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(put.header("Location")).isEqualTo(blobPath(repo, digest));
        assertThat(put.header("Docker-Content-Digest")).isEqualTo(digest.toString());

        Resp blob = get(put.header("Location"));
        assertThat(blob.status()).isEqualTo(200);
        assertThat(blob.body()).isEqualTo(content);
        // The session is gone once committed.
        assertThat(get(location).status()).isEqualTo(404);
    }

    @Test
    void singlePostUpload() {
        String repo = newRepo("single");
        byte[] content = randomBytes(700, 2);
        Digest digest = sha256(content);
        Resp r = send("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + digest, content);
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        assertThat(r.header("Location")).isEqualTo(blobPath(repo, digest));
        assertThat(r.header("Docker-Content-Digest")).isEqualTo(digest.toString());
        assertThat(get(blobPath(repo, digest)).body()).isEqualTo(content);
    }

    @Test
    void singlePostWithWrongDigestIsRejectedAndLeavesNothing() throws Exception {
        String repo = newRepo("singlebad");
        byte[] content = randomBytes(700, 3);
        Digest wrong = sha256("something else".getBytes(StandardCharsets.UTF_8));
        Resp r = send("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + wrong, content);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("DIGEST_INVALID");
        assertThat(head(blobPath(repo, wrong)).status()).isEqualTo(404);
        assertThat(storedBlobFiles(ROOT, sha256(content))).isZero();
        assertThat(Files.exists(ROOT.resolve(RegistryLayout.uploads(repo).substring(1))))
                .isFalse();
    }

    @Test
    void chunkedPatchesWithContentRangeThenPutWithoutBody() {
        String repo = newRepo("chunked");
        byte[] content = randomBytes(5000, 4);
        Digest digest = sha256(content);
        String location = startUpload(repo, "");
        int[] cuts = {0, 2000, 4000, 5000};
        for (int i = 0; i + 1 < cuts.length; i++) {
            Resp r = send(
                    "PATCH",
                    location,
                    Arrays.copyOfRange(content, cuts[i], cuts[i + 1]),
                    "Content-Range",
                    cuts[i] + "-" + (cuts[i + 1] - 1),
                    "Content-Type",
                    "application/octet-stream");
            assertThat(r.status()).as("%s", r).isEqualTo(202);
            assertThat(r.header("Range")).isEqualTo("0-" + (cuts[i + 1] - 1));
            assertThat(r.header("Docker-Upload-UUID")).isNotBlank();
            location = r.header("Location");
        }
        Resp status = get(location);
        assertThat(status.status()).isEqualTo(204);
        assertThat(status.header("Range")).isEqualTo("0-4999");
        assertThat(status.header("Location")).isEqualTo(location);

        Resp put = send("PUT", location + "?digest=" + digest, (byte[]) null);
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(get(blobPath(repo, digest)).body()).isEqualTo(content);
    }

    /**
     * Upload bodies are gathered into 256 KiB blocks before they reach storage: chunks that start and end between
     * block boundaries, and a last chunk in the PUT itself, must all be stored by the time each request is
     * answered (the status request reads the size back from storage).
     */
    @Test
    void chunksAcrossGatheringBlocksAreStoredBeforeEachAnswer() {
        String repo = newRepo("blocks");
        byte[] content = randomBytes(700_001, 13);
        Digest digest = sha256(content);
        String location = startUpload(repo, "");
        int[] cuts = {0, 1, 262_143, 262_145, 600_000};
        for (int i = 0; i + 1 < cuts.length; i++) {
            Resp r = send(
                    "PATCH",
                    location,
                    Arrays.copyOfRange(content, cuts[i], cuts[i + 1]),
                    "Content-Range",
                    cuts[i] + "-" + (cuts[i + 1] - 1),
                    "Content-Type",
                    "application/octet-stream");
            assertThat(r.status()).as("%s", r).isEqualTo(202);
            location = r.header("Location");
            assertThat(get(location).header("Range")).isEqualTo("0-" + (cuts[i + 1] - 1));
        }
        Resp put = send(
                "PUT",
                location + "?digest=" + digest,
                Arrays.copyOfRange(content, 600_000, content.length),
                "Content-Range",
                "600000-" + (content.length - 1),
                "Content-Type",
                "application/octet-stream");
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(get(blobPath(repo, digest)).body()).isEqualTo(content);
    }

    @Test
    void streamedPatchWithoutContentLength() {
        String repo = newRepo("stream");
        byte[] content = randomBytes(300_000, 5);
        Digest digest = sha256(content);
        String location = startUpload(repo, "");
        Resp patch = sendChunked("PATCH", location, () -> new ByteArrayInputStream(content));
        assertThat(patch.status()).as("%s", patch).isEqualTo(202);
        assertThat(patch.header("Range")).isEqualTo("0-299999");
        // A second streamed chunk continues the same upload.
        byte[] more = randomBytes(1000, 6);
        patch = sendChunked("PATCH", patch.header("Location"), () -> new ByteArrayInputStream(more));
        assertThat(patch.header("Range")).isEqualTo("0-300999");
        byte[] all = concat(content, more);
        Resp put = send("PUT", patch.header("Location") + "?digest=" + sha256(all), (byte[]) null);
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(get(blobPath(repo, sha256(all))).body()).isEqualTo(all);
        assertThat(digest).isNotEqualTo(sha256(all));
    }

    @Test
    void outOfOrderChunkIs416AndTheUploadRecovers() {
        String repo = newRepo("order");
        byte[] content = randomBytes(3000, 7);
        String location = startUpload(repo, "");
        // First chunk must start at 0.
        Resp bad = sendAnsweredEarly(
                "PATCH", location, Arrays.copyOfRange(content, 1000, 2000), "Content-Range", "1000-1999");
        assertThat(bad.status()).isEqualTo(416);
        assertThat(bad.errorCode()).isEqualTo("BLOB_UPLOAD_INVALID");
        assertThat(bad.header("Location")).isEqualTo(location);
        assertThat(bad.header("Range")).isEqualTo("0-0");

        Resp ok = send("PATCH", location, Arrays.copyOfRange(content, 0, 1000), "Content-Range", "0-999");
        assertThat(ok.status()).isEqualTo(202);
        // Going back, skipping ahead, and a range that disagrees with Content-Length are all refused.
        assertThat(sendAnsweredEarly("PATCH", location, Arrays.copyOfRange(content, 0, 1000), "Content-Range", "0-999")
                        .status())
                .isEqualTo(416);
        assertThat(sendAnsweredEarly(
                                "PATCH",
                                location,
                                Arrays.copyOfRange(content, 2000, 3000),
                                "Content-Range",
                                "2000-2999")
                        .header("Range"))
                .isEqualTo("0-999");
        assertThat(sendAnsweredEarly(
                                "PATCH",
                                location,
                                Arrays.copyOfRange(content, 1000, 2000),
                                "Content-Range",
                                "1000-1499")
                        .status())
                .isEqualTo(416);
        assertThat(sendAnsweredEarly("PATCH", location, new byte[1], "Content-Range", "garbage")
                        .status())
                .isEqualTo(416);

        Resp status = get(location);
        assertThat(status.status()).isEqualTo(204);
        assertThat(status.header("Range")).isEqualTo("0-999");

        // An out-of-order final chunk on PUT is 416 too, and the session survives it.
        Digest digest = sha256(content);
        assertThat(sendAnsweredEarly(
                                "PUT",
                                location + "?digest=" + digest,
                                Arrays.copyOfRange(content, 2000, 3000),
                                "Content-Range",
                                "2000-2999")
                        .status())
                .isEqualTo(416);
        assertThat(send("PATCH", location, Arrays.copyOfRange(content, 1000, 2000), "Content-Range", "1000-1999")
                        .status())
                .isEqualTo(202);
        // Final chunk carried by the PUT.
        Resp put = send(
                "PUT",
                location + "?digest=" + digest,
                Arrays.copyOfRange(content, 2000, 3000),
                "Content-Range",
                "2000-2999");
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(get(blobPath(repo, digest)).body()).isEqualTo(content);
    }

    @Test
    void cancelDeletesTheSession() throws Exception {
        String repo = newRepo("cancel");
        String location = startUpload(repo, "");
        assertThat(send("PATCH", location, randomBytes(100, 8)).status()).isEqualTo(202);
        assertThat(send("DELETE", location, (byte[]) null).status()).isEqualTo(204);

        Resp status = get(location);
        assertThat(status.status()).isEqualTo(404);
        assertThat(status.errorCode()).isEqualTo("BLOB_UPLOAD_UNKNOWN");
        assertThat(sendAnsweredEarly("PATCH", location, new byte[10]).errorCode())
                .isEqualTo("BLOB_UPLOAD_UNKNOWN");
        assertThat(send("PUT", location + "?digest=" + sha256(new byte[0]), (byte[]) null)
                        .status())
                .isEqualTo(404);
        assertThat(send("DELETE", location, (byte[]) null).status()).isEqualTo(404);
        assertThat(Files.exists(
                        ROOT.resolve(RegistryLayout.upload(repo, location.substring(location.lastIndexOf('/') + 1))
                                .substring(1))))
                .isFalse();
    }

    @Test
    void unknownSessionIs404() {
        String repo = newRepo("unknown");
        Resp r = get("/v2/" + repo + "/blobs/uploads/does-not-exist");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.errorCode()).isEqualTo("BLOB_UPLOAD_UNKNOWN");
        assertThat(sendAnsweredEarly("PATCH", "/v2/" + repo + "/blobs/uploads/nope", new byte[3])
                        .status())
                .isEqualTo(404);
    }

    @Test
    void mountFromRepositoryAutomaticallyOrFallBackToUpload() {
        String source = newRepo("mountsrc");
        String target = newRepo("mounttgt");
        byte[] content = randomBytes(1200, 9);
        Digest digest = push(source, content);
        assertThat(get(blobPath(target, digest)).status()).isEqualTo(404);

        Resp mount =
                send("POST", "/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source, (byte[]) null);
        assertThat(mount.status()).as("%s", mount).isEqualTo(201);
        assertThat(mount.header("Location")).isEqualTo(blobPath(target, digest));
        assertThat(mount.header("Docker-Content-Digest")).isEqualTo(digest.toString());
        assertThat(get(blobPath(target, digest)).body()).isEqualTo(content);

        // Automatic mount: no "from", or a "from" that does not hold it, still mounts a stored blob.
        String other = newRepo("mountauto");
        assertThat(send("POST", "/v2/" + other + "/blobs/uploads/?mount=" + digest, (byte[]) null)
                        .status())
                .isEqualTo(201);
        String third = newRepo("mountwrong");
        assertThat(send("POST", "/v2/" + third + "/blobs/uploads/?mount=" + digest + "&from=nobody/here", (byte[]) null)
                        .status())
                .isEqualTo(201);
        assertThat(head(blobPath(third, digest)).status()).isEqualTo(200);

        // A blob stored nowhere: a normal upload session starts instead.
        Digest missing = sha256("never pushed".getBytes(StandardCharsets.UTF_8));
        Resp fallback =
                send("POST", "/v2/" + target + "/blobs/uploads/?mount=" + missing + "&from=" + source, (byte[]) null);
        assertThat(fallback.status()).isEqualTo(202);
        assertThat(fallback.header("Location")).startsWith("/v2/" + target + "/blobs/uploads/");
        assertThat(get(fallback.header("Location")).status()).isEqualTo(204);
    }

    @Test
    void sha512Uploads() {
        String repo = newRepo("sha512");
        byte[] content = randomBytes(4000, 10);
        Digest digest = Digest.compute(DigestAlgorithm.SHA512, content);

        // Running digest in sha512, chosen at POST.
        String location = startUpload(repo, "?digest-algorithm=sha512");
        Resp patch = send("PATCH", location, Arrays.copyOfRange(content, 0, 1500), "Content-Range", "0-1499");
        assertThat(patch.status()).isEqualTo(202);
        Resp put = send(
                "PUT",
                location + "?digest=" + digest,
                Arrays.copyOfRange(content, 1500, 4000),
                "Content-Range",
                "1500-3999");
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(put.header("Docker-Content-Digest")).isEqualTo(digest.toString());
        Resp head = head(blobPath(repo, digest));
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Docker-Content-Digest")).isEqualTo(digest.toString());
        assertThat(get(blobPath(repo, digest)).body()).isEqualTo(content);

        // No digest-algorithm at POST (the conformance suite does this): the server re-hashes at PUT.
        String repo2 = newRepo("sha512rehash");
        location = startUpload(repo2, "");
        assertThat(send("PATCH", location, content).status()).isEqualTo(202);
        put = send("PUT", location + "?digest=" + digest, (byte[]) null);
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(get(blobPath(repo2, digest)).body()).isEqualTo(content);

        // And a mismatch is still caught on the re-hash path.
        location = startUpload(repo2, "");
        send("PATCH", location, content);
        Digest wrong = Digest.compute(DigestAlgorithm.SHA512, new byte[] {1});
        assertThat(send("PUT", location + "?digest=" + wrong, (byte[]) null).errorCode())
                .isEqualTo("DIGEST_INVALID");

        // Single POST in sha512.
        String repo3 = newRepo("sha512post");
        assertThat(send("POST", "/v2/" + repo3 + "/blobs/uploads/?digest=" + digest, content)
                        .status())
                .isEqualTo(201);
    }

    @Test
    void digestMismatchIs400AndEndsTheSession() throws Exception {
        String repo = newRepo("mismatch");
        byte[] content = randomBytes(2000, 11);
        String location = startUpload(repo, "");
        send("PATCH", location, content);
        Digest wrong = sha256(Arrays.copyOf(content, 1999));
        Resp put = send("PUT", location + "?digest=" + wrong, (byte[]) null);
        assertThat(put.status()).isEqualTo(400);
        assertThat(put.errorCode()).isEqualTo("DIGEST_INVALID");
        assertThat(get(location).status()).isEqualTo(404);
        assertThat(head(blobPath(repo, wrong)).status()).isEqualTo(404);
        assertThat(storedBlobFiles(ROOT, wrong)).isZero();
        assertThat(storedBlobFiles(ROOT, sha256(content))).isZero();
    }

    @Test
    void malformedDigestsAre400NeverServerErrors() {
        String repo = newRepo("malformed");
        String location = startUpload(repo, "");
        for (String digest :
                new String[] {"", "sha256:xyz", "sha256:" + "A".repeat(64), "md5:abc", "sha256", "nonsense"}) {
            Resp r = sendAnsweredEarly("PUT", location + "?digest=" + digest, new byte[1]);
            assertThat(r.status()).as("digest '%s': %s", digest, r).isEqualTo(400);
            assertThat(r.errorCode()).isEqualTo("DIGEST_INVALID");
        }
        Resp missing = send("PUT", location, (byte[]) null);
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.errorCode()).isEqualTo("DIGEST_INVALID");
        // The session survives bad requests.
        assertThat(get(location).status()).isEqualTo(204);

        assertThat(sendAnsweredEarly("POST", "/v2/" + repo + "/blobs/uploads/?digest=sha256:nope", new byte[1])
                        .status())
                .isEqualTo(400);
        assertThat(send("POST", "/v2/" + repo + "/blobs/uploads/?mount=bogus", (byte[]) null)
                        .status())
                .isEqualTo(400);
        assertThat(send("POST", "/v2/" + repo + "/blobs/uploads/?digest-algorithm=md5", (byte[]) null)
                        .status())
                .isEqualTo(400);
        assertThat(get("/v2/" + repo + "/blobs/sha256:1234").status()).isEqualTo(400);
    }

    @Test
    void concurrentIdenticalPushesBothSucceedAndStoreOneBlob() throws Exception {
        byte[] content = randomBytes(2_000_000, 12);
        Digest digest = sha256(content);
        String repoA = newRepo("race-a");
        String repoB = newRepo("race-b");
        String locA = startUpload(repoA, "");
        String locB = startUpload(repoB, "");
        CyclicBarrier barrier = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Callable<Resp> a = () -> {
                barrier.await();
                return send("PUT", locA + "?digest=" + digest, content);
            };
            Callable<Resp> b = () -> {
                barrier.await();
                return send("PUT", locB + "?digest=" + digest, content);
            };
            Future<Resp> fa = pool.submit(a);
            Future<Resp> fb = pool.submit(b);
            assertThat(fa.get().status()).as("%s", fa.get()).isEqualTo(201);
            assertThat(fb.get().status()).as("%s", fb.get()).isEqualTo(201);
        } finally {
            pool.shutdownNow();
        }
        assertThat(get(blobPath(repoA, digest)).body()).isEqualTo(content);
        assertThat(get(blobPath(repoB, digest)).body()).isEqualTo(content);
        assertThat(storedBlobFiles(ROOT, digest)).isEqualTo(1);
        assertThat(Files.exists(ROOT.resolve(RegistryLayout.uploads(repoA).substring(1))))
                .isFalse();
        assertThat(Files.exists(ROOT.resolve(RegistryLayout.uploads(repoB).substring(1))))
                .isFalse();
    }

    @Test
    void aBlobPushedAgainIntoAnotherRepositoryKeepsTheStoredCopyAndDropsTheDuplicate() throws Exception {
        byte[] content = randomBytes(3_000_000, 14);
        String repoA = newRepo("again-a");
        String repoB = newRepo("again-b");
        Digest digest = push(repoA, content);
        Path stored = ROOT.resolve(RegistryLayout.blobData(digest).substring(1));
        Object inode = Files.getAttribute(stored, "unix:ino");

        String location = startUpload(repoB, "");
        assertThat(send("PATCH", location, content).status()).isEqualTo(202);
        Resp put = send("PUT", location + "?digest=" + digest, (byte[]) null);

        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(get(blobPath(repoB, digest)).body()).isEqualTo(content);
        assertThat(Files.getAttribute(stored, "unix:ino"))
                .as("the stored file was kept, not replaced")
                .isEqualTo(inode);
        assertThat(Files.exists(stored.resolveSibling(RegistryLayout.TOUCHED)))
                .as("retained for the manifest PUT that follows")
                .isTrue();
        assertThat(storedBlobFiles(ROOT, digest)).isEqualTo(1);
        assertThat(Files.exists(ROOT.resolve(RegistryLayout.uploads(repoB).substring(1))))
                .isFalse();
        assertThat(get(location).status()).isEqualTo(404);
    }

    @Test
    void abortedPatchKeepsWhatArrivedAndTheUploadResumes() throws Exception {
        String repo = newRepo("abort");
        byte[] content = randomBytes(1 << 20, 13);
        String location = startUpload(repo, "");
        // Announce 1 MiB, send 256 KiB, vanish.
        byte[] head = ("PATCH " + location + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                        + "Content-Length: " + content.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.getOutputStream().write(head);
            socket.getOutputStream().write(content, 0, 256 * 1024);
            socket.getOutputStream().flush();
        }
        // Whatever arrived is kept; the client resumes from the offset the server reports once the aborted
        // PATCH has let go of the session.
        Resp status = await().atMost(Duration.ofSeconds(10)).until(() -> get(location), r -> r.status() == 204);
        long offset = Long.parseLong(status.header("Range").substring(2)) + 1;
        assertThat(offset).isBetween(1L, 256L * 1024);
        Resp rest = send(
                "PATCH",
                location,
                Arrays.copyOfRange(content, (int) offset, content.length),
                "Content-Range",
                offset + "-" + (content.length - 1));
        assertThat(rest.status()).as("%s", rest).isEqualTo(202);
        Resp put = send("PUT", location + "?digest=" + sha256(content), (byte[]) null);
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(get(blobPath(repo, sha256(content))).body()).isEqualTo(content);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
