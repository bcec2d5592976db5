package dev.berth.registry.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.MediaTypes;
import dev.berth.registry.testing.Resp;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/** With {@code berth.storage.delete.enabled=false}, deletes are refused and nothing is removed. */
@TestPropertySource(properties = "berth.storage.delete.enabled=false")
class ManifestDeleteDisabledTest extends ApiTestSupport {

    @Test
    void deletesAnswerUnsupported() {
        String repo = newRepo("nodelete");
        String digest = push(repo, "v1", MediaTypes.OCI_MANIFEST, ociImage(repo));
        for (String ref : new String[] {"v1", digest}) {
            Resp r = delete("/v2/" + repo + "/manifests/" + ref);
            assertThat(r.status()).isEqualTo(405);
            assertThat(r.errorCode()).isEqualTo("UNSUPPORTED");
        }
        assertThat(get("/v2/" + repo + "/manifests/v1").status()).isEqualTo(200);
    }
}
