package dev.berth.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DigestTest {

    @Test
    void computesAndParsesSha256AndSha512() {
        byte[] hello = "hello world".getBytes(StandardCharsets.UTF_8);
        Digest d = Digest.sha256(hello);
        assertThat(d).hasToString("sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
        assertThat(Digest.parse(d.toString())).isEqualTo(d);
        Digest d512 = Digest.compute(DigestAlgorithm.SHA512, hello);
        assertThat(d512.hex()).hasSize(128);
        assertThat(Digest.parse(d512.toString())).isEqualTo(d512);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "sha256",
                "sha256:",
                "sha256:xyz",
                "sha256:abc",
                "SHA256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
                "sha256:B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9",
                "sha256:../../../../etc/passwd"
            })
    void rejectsMalformed(String value) {
        assertThat(Digest.isValid(value)).isFalse();
        assertThatThrownBy(() -> Digest.parse(value)).isInstanceOf(InvalidDigestException.class);
    }

    @Test
    void wellFormedButUnknownAlgorithmIsUnsupported() {
        assertThatThrownBy(() -> Digest.parse("md5:d41d8cd98f00b204e9800998ecf8427e"))
                .isInstanceOf(UnsupportedDigestException.class);
    }
}
