package dev.berth.oci.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The one hashing stream: verifies blobs against their descriptor, or only hashes (DiffIDs). */
class VerifyingInputStreamTest {
    private static final byte[] CONTENT = "hello, berth\n".getBytes(StandardCharsets.UTF_8);
    private static final Digest DIGEST = Digest.sha256(CONTENT);

    @Test
    void matchingContentIsVerifiedAtTheEnd() throws IOException {
        VerifyingInputStream in = new VerifyingInputStream(new ByteArrayInputStream(CONTENT), DIGEST, CONTENT.length);
        assertThat(in.readAllBytes()).isEqualTo(CONTENT);
        assertThat(in.verified()).isTrue();
        assertThat(in.digest()).isEqualTo(DIGEST);
        assertThat(in.count()).isEqualTo(CONTENT.length);
    }

    @Test
    void differentContentFailsOnTheLastRead() {
        byte[] other = CONTENT.clone();
        other[0] ^= 1;
        VerifyingInputStream in = new VerifyingInputStream(new ByteArrayInputStream(other), DIGEST, CONTENT.length);
        assertThatThrownBy(in::readAllBytes)
                .isInstanceOf(DigestMismatchException.class)
                .hasMessageContaining("content has digest " + Digest.sha256(other));
    }

    @Test
    void moreBytesThanExpectedFailAtOnce() {
        VerifyingInputStream in = new VerifyingInputStream(new ByteArrayInputStream(CONTENT), DIGEST, 4);
        assertThatThrownBy(in::readAllBytes)
                .isInstanceOf(DigestMismatchException.class)
                .hasMessageContaining("more than the expected 4 bytes");
    }

    @Test
    void hashingOnlyTellsTheDigestOfWhatWasRead() throws IOException {
        VerifyingInputStream in =
                VerifyingInputStream.hashing(new ByteArrayInputStream(CONTENT), DigestAlgorithm.SHA256);
        assertThatThrownBy(in::digest).isInstanceOf(IllegalStateException.class);
        in.readAllBytes();
        assertThat(in.digest()).isEqualTo(DIGEST);
        assertThat(in.verified()).isFalse();
    }
}
