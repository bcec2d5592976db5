package dev.berth.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.registry.testing.Resp;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/** A registry with blob deletion disabled and a 1 MiB blob limit (its own Spring context). */
@TestPropertySource(properties = {"berth.storage.delete.enabled=false", "berth.uploads.max-blob-size=1MB"})
class BlobLimitsTest extends BlobApiSupport {

    @Test
    void deleteIsUnsupportedWhenDisabled() {
        String repo = newRepo("nodelete");
        Digest digest = push(repo, randomBytes(100, 30));
        Resp r = send("DELETE", blobPath(repo, digest), (byte[]) null);
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.errorCode()).isEqualTo("UNSUPPORTED");
        assertThat(head(blobPath(repo, digest)).status()).isEqualTo(200);
    }

    @Test
    void announcedOversizeIsRefusedBeforeTheBodyIsRead() throws Exception {
        String repo = newRepo("announced");
        String location = startUpload(repo, "");
        String answer = raw(
                ("PATCH " + location + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII),
                2000);
        assertThat(answer).startsWith("HTTP/1.1 413").contains("SIZE_EXCEEDED");
        // An upload that can never complete is discarded.
        assertThat(get(location).status()).isEqualTo(404);

        Resp post = sendAnsweredEarly(
                "POST", "/v2/" + repo + "/blobs/uploads/?digest=" + sha256(new byte[1_100_000]), new byte[1_100_000]);
        assertThat(post.status()).isEqualTo(413);
    }

    @Test
    void streamedOversizeIsCutOff() {
        String repo = newRepo("streamed");
        String location = startUpload(repo, "");
        Resp r = sendChunked("PATCH", location, () -> new ByteArrayInputStream(new byte[1_200_000]));
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.errorCode()).isEqualTo("SIZE_EXCEEDED");
        assertThat(get(location).status()).isEqualTo(404);

        // Exactly at the limit is fine.
        byte[] max = randomBytes(1_000_000, 31);
        assertThat(send("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + sha256(max), max)
                        .status())
                .isEqualTo(201);
    }
}
