package dev.berth.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ManifestParserTest {
    static final String CONFIG = "sha256:" + "a".repeat(64);
    static final String LAYER = "sha256:" + "b".repeat(64);
    static final String CHILD = "sha256:" + "c".repeat(64);

    static byte[] bytes(String json) {
        return json.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    }

    static String image(String mediaTypeField, String extra) {
        return "{'schemaVersion':2," + mediaTypeField
                + "'config':{'mediaType':'application/vnd.oci.image.config.v1+json','digest':'" + CONFIG
                + "','size':2},"
                + "'layers':[{'mediaType':'application/vnd.oci.image.layer.v1.tar+gzip','digest':'" + LAYER
                + "','size':3}]"
                + extra + "}";
    }

    @Test
    void ociImageListsConfigAndLayersAsBlobs() {
        ParsedManifest m = ManifestParser.parse(
                bytes(image("'mediaType':'" + MediaTypes.OCI_MANIFEST + "',", "")), MediaTypes.OCI_MANIFEST);
        assertThat(m.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(m.blobs()).extracting(d -> d.digest().toString()).containsExactly(CONFIG, LAYER);
        assertThat(m.children()).isEmpty();
        assertThat(m.subject()).isNull();
        assertThat(m.artifactType()).isEqualTo(MediaTypes.OCI_CONFIG);
    }

    @Test
    void declaredContentTypeStandsInForAMissingMediaTypeField() {
        ParsedManifest m = ManifestParser.parse(bytes(image("", "")), MediaTypes.DOCKER_MANIFEST + "; charset=utf-8");
        assertThat(m.mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
    }

    @Test
    void mediaTypeFieldMustMatchContentType() {
        assertThatThrownBy(() -> ManifestParser.parse(
                        bytes(image("'mediaType':'" + MediaTypes.OCI_MANIFEST + "',", "")), MediaTypes.DOCKER_MANIFEST))
                .isInstanceOf(ManifestInvalidException.class)
                .hasMessageContaining("does not match");
    }

    @Test
    void artifactTypeAndSubjectAndAnnotations() {
        String extra = ",'artifactType':'application/vnd.example+type','subject':{'mediaType':'"
                + MediaTypes.OCI_MANIFEST + "','digest':'" + CHILD + "','size':9},'annotations':{'k':'v'}";
        ParsedManifest m = ManifestParser.parse(bytes(image("", extra)), MediaTypes.OCI_MANIFEST);
        assertThat(m.artifactType()).isEqualTo("application/vnd.example+type");
        assertThat(m.subject().digest().toString()).isEqualTo(CHILD);
        assertThat(m.annotations()).containsEntry("k", "v");
    }

    @Test
    void emptyArtifactTypeFallsBackToConfigType() {
        ParsedManifest m = ManifestParser.parse(bytes(image("", ",'artifactType':''")), MediaTypes.OCI_MANIFEST);
        assertThat(m.artifactType()).isEqualTo(MediaTypes.OCI_CONFIG);
    }

    @Test
    void indexListsChildrenAndHasNoDefaultArtifactType() {
        String index = "{'schemaVersion':2,'mediaType':'" + MediaTypes.OCI_INDEX + "','manifests':[{'mediaType':'"
                + MediaTypes.OCI_MANIFEST + "','digest':'" + CHILD + "','size':5,"
                + "'platform':{'os':'linux','architecture':'arm64'}}]}";
        ParsedManifest m = ManifestParser.parse(bytes(index), MediaTypes.OCI_INDEX);
        assertThat(m.isIndex()).isTrue();
        assertThat(m.blobs()).isEmpty();
        assertThat(m.children()).extracting(d -> d.digest().toString()).containsExactly(CHILD);
        assertThat(m.artifactType()).isNull();
    }

    @Test
    void ociArtifactMayHaveNoLayersButDockerSchema2MayNot() {
        String noLayers = "{'schemaVersion':2,'config':{'mediaType':'application/vnd.example.config','digest':'"
                + CONFIG + "','size':2},'layers':[]}";
        assertThat(ManifestParser.parse(bytes(noLayers), MediaTypes.OCI_MANIFEST)
                        .blobs())
                .hasSize(1);
        assertThatThrownBy(() -> ManifestParser.parse(bytes(noLayers), MediaTypes.DOCKER_MANIFEST))
                .isInstanceOf(ManifestInvalidException.class);
    }

    @Test
    void schema1IsRejected() {
        assertThatThrownBy(() -> ManifestParser.parse(bytes("{'schemaVersion':1,'fsLayers':[]}"), null))
                .isInstanceOf(ManifestInvalidException.class)
                .hasMessageContaining("schema1");
        assertThatThrownBy(() -> ManifestParser.parse(bytes(image("", "")), MediaTypes.DOCKER_SCHEMA1_SIGNED))
                .isInstanceOf(ManifestInvalidException.class)
                .hasMessageContaining("schema1");
    }

    @Test
    void malformedInputIsManifestInvalid() {
        for (String body : new String[] {
            "",
            "not json",
            "[]",
            "{'schemaVersion':2}",
            "{'schemaVersion':'2'}",
            "{'schemaVersion':2,'config':{'mediaType':'x','digest':'sha256:bad','size':1}}",
            "{'schemaVersion':2,'config':{'mediaType':'x','digest':'" + CONFIG + "','size':-1}}"
        }) {
            assertThatThrownBy(() -> ManifestParser.parse(bytes(body), MediaTypes.OCI_MANIFEST))
                    .as(body)
                    .isInstanceOf(ManifestInvalidException.class);
        }
    }

    /** Every number the parser reads, with each way a fuzzer writes it wrong. */
    static final String[] BAD_NUMBERS = {
        "99999999999999999999",
        "-99999999999999999999",
        "9223372036854775808",
        "-1",
        "1.5",
        "1e3",
        "2.0",
        "'2'",
        "'12'",
        "true",
        "null",
        "[]",
        "{}"
    };

    @Test
    void schemaVersionMustBeTheInteger2() {
        for (String bad : BAD_NUMBERS) {
            String body = image("", "").replace("'schemaVersion':2", "'schemaVersion':" + bad);
            assertThatThrownBy(() -> ManifestParser.parse(bytes(body), MediaTypes.OCI_MANIFEST))
                    .as(bad)
                    .isInstanceOf(ManifestInvalidException.class)
                    .hasMessageStartingWith("schemaVersion must be the integer 2, not ");
        }
        assertThatThrownBy(() -> ManifestParser.parse(bytes("{'config':{}}"), MediaTypes.OCI_MANIFEST))
                .isInstanceOf(ManifestInvalidException.class)
                .hasMessage("schemaVersion must be the integer 2");
    }

    @Test
    void everyDescriptorSizeMustBeANonNegativeLong() {
        String child = "{'mediaType':'" + MediaTypes.OCI_MANIFEST + "','digest':'" + CHILD + "','size':7}";
        String index = "{'schemaVersion':2,'mediaType':'" + MediaTypes.OCI_INDEX + "','manifests':[" + child + ","
                + child.replace("'size':7", "'size':SIZE") + "]}";
        String subject = image(
                "", ",'subject':{'mediaType':'" + MediaTypes.OCI_MANIFEST + "','digest':'" + CHILD + "','size':SIZE}");
        String[][] cases = {
            {image("", "").replace("'size':2", "'size':SIZE"), "config.size"},
            {image("", "").replace("'size':3", "'size':SIZE"), "layers[0].size"},
            {subject, "subject.size"},
            {index, "manifests[1].size"}
        };
        for (String[] c : cases) {
            for (String bad : BAD_NUMBERS) {
                String body = c[0].replace("SIZE", bad);
                String contentType =
                        body.contains(MediaTypes.OCI_INDEX) ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
                assertThatThrownBy(() -> ManifestParser.parse(bytes(body), contentType))
                        .as("%s = %s", c[1], bad)
                        .isInstanceOf(ManifestInvalidException.class)
                        .hasMessageStartingWith(c[1] + " ");
            }
        }
        for (String[] c : cases) {
            String body = c[0].replace(",'size':SIZE", "");
            String contentType = body.contains(MediaTypes.OCI_INDEX) ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
            assertThatThrownBy(() -> ManifestParser.parse(bytes(body), contentType))
                    .as("%s left out", c[1])
                    .isInstanceOf(ManifestInvalidException.class)
                    .hasMessage(c[1] + " is required");
        }
        String layer = image("", "").replace("'size':3", "'size':SIZE");
        assertThatThrownBy(() -> ManifestParser.parse(bytes(layer.replace("SIZE", "99999999999999999999")), null))
                .hasMessage("layers[0].size 99999999999999999999 is out of range (at most 9223372036854775807)");
        assertThatThrownBy(() -> ManifestParser.parse(bytes(layer.replace("SIZE", "-1")), null))
                .hasMessage("layers[0].size must not be negative, not -1");
        assertThatThrownBy(() -> ManifestParser.parse(bytes(layer.replace("SIZE", "1.5")), null))
                .hasMessage("layers[0].size must be an integer, not 1.5");
        assertThatThrownBy(() -> ManifestParser.parse(bytes(layer.replace("SIZE", "'12'")), null))
                .hasMessage("layers[0].size must be an integer, not \"12\"");
        // The largest size there is still parses.
        String largest = image("", "").replace("'size':3", "'size':" + Long.MAX_VALUE);
        assertThat(ManifestParser.parse(bytes(largest), MediaTypes.OCI_MANIFEST)
                        .blobs()
                        .get(1)
                        .size())
                .isEqualTo(Long.MAX_VALUE);
    }
}
