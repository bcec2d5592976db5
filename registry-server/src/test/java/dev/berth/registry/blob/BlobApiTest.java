package dev.berth.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.registry.testing.Resp;
import dev.berth.storage.CheckedStorageDriver;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageStats;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** GET, HEAD and DELETE of blobs over real HTTP. */
class BlobApiTest extends BlobApiSupport {

    @Autowired
    StorageDriver driver;

    @Test
    void getServesTheBlobWithItsHeaders() {
        String repo = newRepo("get");
        byte[] content = randomBytes(2048, 20);
        Digest digest = push(repo, content);

        Resp r = get(blobPath(repo, digest));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(content);
        assertThat(r.header("Content-Length")).isEqualTo("2048");
        assertThat(r.header("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(r.header("Docker-Content-Digest")).isEqualTo(digest.toString());
        assertThat(r.header("ETag")).isEqualTo("\"" + digest + "\"");
        assertThat(r.header("Accept-Ranges")).isEqualTo("bytes");

        assertThat(get(blobPath(repo, digest), "If-None-Match", "\"" + digest + "\"")
                        .status())
                .isEqualTo(304);
    }

    @Test
    void headHasTheRealContentLengthAndNoBody() throws Exception {
        String repo = newRepo("head");
        byte[] content = randomBytes(123_457, 21);
        Digest digest = push(repo, content);

        Resp r = head(blobPath(repo, digest));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Length")).isEqualTo("123457");
        assertThat(r.header("Docker-Content-Digest")).isEqualTo(digest.toString());
        assertThat(r.body()).isEmpty();

        // On the wire: the header block only, with the blob's length, and no body bytes after it.
        String answer = raw(
                ("HEAD " + blobPath(repo, digest) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII),
                2000);
        assertThat(answer)
                .startsWith("HTTP/1.1 200")
                .containsIgnoringCase("content-length: 123457")
                .endsWith("\r\n\r\n");
    }

    @Test
    void rangeRequests() {
        String repo = newRepo("range");
        byte[] content = randomBytes(2048, 22);
        Digest digest = push(repo, content);
        String path = blobPath(repo, digest);

        Resp mid = get(path, "Range", "bytes=500-1499");
        assertThat(mid.status()).isEqualTo(206);
        assertThat(mid.body()).isEqualTo(Arrays.copyOfRange(content, 500, 1500));
        assertThat(mid.header("Content-Length")).isEqualTo("1000");
        assertThat(mid.header("Content-Range")).isEqualTo("bytes 500-1499/2048");

        Resp open = get(path, "Range", "bytes=500-");
        assertThat(open.status()).isEqualTo(206);
        assertThat(open.body()).isEqualTo(Arrays.copyOfRange(content, 500, 2048));
        assertThat(open.header("Content-Range")).isEqualTo("bytes 500-2047/2048");

        Resp suffix = get(path, "Range", "bytes=-500");
        assertThat(suffix.status()).isEqualTo(206);
        assertThat(suffix.body()).isEqualTo(Arrays.copyOfRange(content, 1548, 2048));
        assertThat(suffix.header("Content-Range")).isEqualTo("bytes 1548-2047/2048");

        Resp clamped = get(path, "Range", "bytes=2000-5000");
        assertThat(clamped.status()).isEqualTo(206);
        assertThat(clamped.body()).isEqualTo(Arrays.copyOfRange(content, 2000, 2048));
        assertThat(clamped.header("Content-Range")).isEqualTo("bytes 2000-2047/2048");

        for (String unsatisfiable : new String[] {"bytes=500-0", "bytes=5000-10000", "bytes=2048-", "bytes=-0"}) {
            Resp r = get(path, "Range", unsatisfiable);
            assertThat(r.status()).as(unsatisfiable).isEqualTo(416);
            assertThat(r.header("Content-Range")).isEqualTo("bytes */2048");
            assertThat(r.errorCode()).isEqualTo("RANGE_INVALID");
        }
        // Multiple ranges or other units are ignored: the whole blob.
        Resp whole = get(path, "Range", "bytes=0-1,5-6");
        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.body()).isEqualTo(content);
        assertThat(get(path, "Range", "items=1-2").status()).isEqualTo(200);
    }

    @Test
    void localFilesAreSentWithoutReadingThroughTheDriver() {
        String repo = newRepo("zerocopy");
        byte[] content = randomBytes(1 << 20, 23);
        Digest digest = push(repo, content);
        StorageStats stats = ((CheckedStorageDriver) driver).stats();
        long readers = stats.calls(StorageStats.Operation.READER);
        Resp r = get(blobPath(repo, digest));
        assertThat(r.body()).isEqualTo(content);
        Resp part = get(blobPath(repo, digest), "Range", "bytes=1000-1999");
        assertThat(part.body()).isEqualTo(Arrays.copyOfRange(content, 1000, 2000));
        // The filesystem driver hands out the file itself, so no reader was opened: Netty sent a file region.
        assertThat(stats.calls(StorageStats.Operation.READER)).isEqualTo(readers);
    }

    @Test
    void aBlobIsVisibleOnlyThroughRepositoriesThatLinkIt() {
        String owner = newRepo("owner");
        String stranger = newRepo("stranger");
        Digest digest = push(owner, randomBytes(100, 24));
        for (Resp r : new Resp[] {get(blobPath(stranger, digest)), head(blobPath(stranger, digest))}) {
            assertThat(r.status()).isEqualTo(404);
        }
        assertThat(get(blobPath(stranger, digest)).errorCode()).isEqualTo("BLOB_UNKNOWN");
        Digest never = sha256("never".getBytes(StandardCharsets.UTF_8));
        assertThat(get(blobPath(owner, never)).errorCode()).isEqualTo("BLOB_UNKNOWN");
    }

    @Test
    void deleteUnlinksFromTheRepository() {
        String repo = newRepo("delete");
        String other = newRepo("keeps");
        byte[] content = randomBytes(300, 25);
        Digest digest = push(repo, content);
        push(other, content);

        Resp deleted = send("DELETE", blobPath(repo, digest), (byte[]) null);
        assertThat(deleted.status()).isEqualTo(202);
        assertThat(head(blobPath(repo, digest)).status()).isEqualTo(404);
        Resp again = send("DELETE", blobPath(repo, digest), (byte[]) null);
        assertThat(again.status()).isEqualTo(404);
        assertThat(again.errorCode()).isEqualTo("BLOB_UNKNOWN");
        // Other repositories keep their access.
        assertThat(get(blobPath(other, digest)).body()).isEqualTo(content);
    }
}
