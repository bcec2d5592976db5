package dev.berth.registry.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.MediaTypes;
import dev.berth.registry.testing.Resp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code /v2/<name>/referrers/<digest>}: kept up to date by pushes and deletes, filtered and paginated. */
class ReferrersApiTest extends ApiTestSupport {
    static final String SBOM = "application/vnd.example.sbom.v1";
    static final String SIG = "application/vnd.example.signature.v1";

    /** An artifact manifest referring to {@code subject}; {@code n} makes it unique. */
    byte[] artifact(String repo, String subjectDigest, long subjectSize, String artifactType, int n) {
        Map<String, Object> config = seedBlob(repo, MediaTypes.OCI_EMPTY, "{}".getBytes(StandardCharsets.UTF_8));
        Map<String, Object> layer =
                seedBlob(repo, "application/octet-stream", ("payload " + n).getBytes(StandardCharsets.UTF_8));
        return imageManifest(
                MediaTypes.OCI_MANIFEST,
                config,
                List.of(layer),
                Map.of(
                        "artifactType", artifactType,
                        "subject", descriptor(MediaTypes.OCI_MANIFEST, subjectDigest, subjectSize),
                        "annotations", Map.of("org.example.n", Integer.toString(n))));
    }

    JsonNode referrers(String repo, String digest, String query) {
        Resp r = get("/v2/" + repo + "/referrers/" + digest + query);
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(r.header("Content-Type")).isEqualTo(MediaTypes.OCI_INDEX);
        JsonNode index = r.json();
        assertThat(index.get("schemaVersion").asInt()).isEqualTo(2);
        assertThat(index.get("mediaType").asString()).isEqualTo(MediaTypes.OCI_INDEX);
        return index.get("manifests");
    }

    @Test
    void referrersAreAddedOnPushBeforeOrAfterTheSubjectAndRemovedOnDelete() {
        String repo = newRepo("refs");
        byte[] image = ociImage(repo);
        String subject = sha256(image);

        // Pushed before its subject exists: accepted, and the subject is acknowledged.
        byte[] sbom = artifact(repo, subject, image.length, SBOM, 1);
        Resp put = putManifest(repo, sha256(sbom), MediaTypes.OCI_MANIFEST, sbom);
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(put.header("OCI-Subject")).isEqualTo(subject);

        push(repo, "v1", MediaTypes.OCI_MANIFEST, image);
        byte[] sig = artifact(repo, subject, image.length, SIG, 2);
        push(repo, sha256(sig), MediaTypes.OCI_MANIFEST, sig);
        // Pushing the same referrer again does not duplicate it.
        push(repo, sha256(sig), MediaTypes.OCI_MANIFEST, sig);

        JsonNode all = referrers(repo, subject, "");
        assertThat(all.size()).isEqualTo(2);
        for (JsonNode d : all) {
            assertThat(d.get("mediaType").asString()).isEqualTo(MediaTypes.OCI_MANIFEST);
            String digest = d.get("digest").asString();
            byte[] body = digest.equals(sha256(sbom)) ? sbom : sig;
            assertThat(digest).isEqualTo(sha256(body));
            assertThat(d.get("size").asLong()).isEqualTo(body.length);
            assertThat(d.get("artifactType").asString()).isEqualTo(body == sbom ? SBOM : SIG);
            assertThat(d.get("annotations").get("org.example.n").asString()).isEqualTo(body == sbom ? "1" : "2");
        }

        assertThat(delete("/v2/" + repo + "/manifests/" + sha256(sbom)).status())
                .isEqualTo(202);
        JsonNode left = referrers(repo, subject, "");
        assertThat(left.size()).isEqualTo(1);
        assertThat(left.get(0).get("digest").asString()).isEqualTo(sha256(sig));
    }

    @Test
    void artifactTypeDefaultsToConfigMediaTypeAndIsOmittedForIndexes() {
        String repo = newRepo("reftypes");
        byte[] image = ociImage(repo);
        String subject = push(repo, "v1", MediaTypes.OCI_MANIFEST, image);
        Map<String, Object> config =
                seedBlob(repo, "application/vnd.example.config.v1+json", "{\"c\":1}".getBytes(StandardCharsets.UTF_8));
        Map<String, Object> subjectDescriptor = descriptor(MediaTypes.OCI_MANIFEST, subject, image.length);
        byte[] configTyped =
                imageManifest(MediaTypes.OCI_MANIFEST, config, List.of(), Map.of("subject", subjectDescriptor));
        String configTypedDigest = push(repo, sha256(configTyped), MediaTypes.OCI_MANIFEST, configTyped);
        byte[] index = index(MediaTypes.OCI_INDEX, List.of(), Map.of("subject", subjectDescriptor));
        Resp indexPut = putManifest(repo, sha256(index), MediaTypes.OCI_INDEX, index);
        assertThat(indexPut.status()).as("%s", indexPut).isEqualTo(201);
        assertThat(indexPut.header("OCI-Subject")).isEqualTo(subject);

        for (JsonNode d : referrers(repo, subject, "")) {
            if (d.get("digest").asString().equals(configTypedDigest)) {
                assertThat(d.get("artifactType").asString()).isEqualTo("application/vnd.example.config.v1+json");
            } else {
                assertThat(d.get("mediaType").asString()).isEqualTo(MediaTypes.OCI_INDEX);
                assertThat(d.has("artifactType")).isFalse();
            }
        }
    }

    @Test
    void filterByArtifactType() {
        String repo = newRepo("reffilter");
        byte[] image = ociImage(repo);
        String subject = push(repo, "v1", MediaTypes.OCI_MANIFEST, image);
        for (int i = 0; i < 4; i++) {
            byte[] a = artifact(repo, subject, image.length, i % 2 == 0 ? SBOM : SIG, i);
            push(repo, sha256(a), MediaTypes.OCI_MANIFEST, a);
        }
        Resp r = get("/v2/" + repo + "/referrers/" + subject + "?artifactType=" + SBOM);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("OCI-Filters-Applied")).isEqualTo("artifactType");
        JsonNode filtered = r.json().get("manifests");
        assertThat(filtered.size()).isEqualTo(2);
        filtered.forEach(d -> assertThat(d.get("artifactType").asString()).isEqualTo(SBOM));

        Resp unfiltered = get("/v2/" + repo + "/referrers/" + subject);
        assertThat(unfiltered.header("OCI-Filters-Applied")).isNull();
        assertThat(unfiltered.json().get("manifests").size()).isEqualTo(4);
    }

    @Test
    void paginationWithLinkKeepsTheFilter() {
        String repo = newRepo("refpages");
        byte[] image = ociImage(repo);
        String subject = push(repo, "v1", MediaTypes.OCI_MANIFEST, image);
        List<String> sboms = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            byte[] a = artifact(repo, subject, image.length, i < 5 ? SBOM : SIG, i);
            String d = push(repo, sha256(a), MediaTypes.OCI_MANIFEST, a);
            if (i < 5) {
                sboms.add(d);
            }
        }
        List<String> seen = new ArrayList<>();
        String next = "/v2/" + repo + "/referrers/" + subject + "?n=2&artifactType=" + SBOM;
        int pages = 0;
        while (next != null) {
            Resp r = get(next);
            assertThat(r.status()).as("%s", r).isEqualTo(200);
            assertThat(r.header("OCI-Filters-Applied")).isEqualTo("artifactType");
            JsonNode page = r.json().get("manifests");
            assertThat(page.size()).isLessThanOrEqualTo(2);
            page.forEach(d -> seen.add(d.get("digest").asString()));
            next = r.header("Link") == null ? null : linkTarget(r.header("Link"));
            pages++;
        }
        assertThat(pages).isEqualTo(3);
        assertThat(seen).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(sboms);
    }

    @Test
    void unknownSubjectOrRepositoryIsAnEmptyList() {
        String repo = newRepo("refnone");
        String digest = sha256("hello world".getBytes(StandardCharsets.UTF_8));
        assertThat(referrers(repo, digest, "").size()).isZero();
        push(repo, "v1", MediaTypes.OCI_MANIFEST, ociImage(repo));
        assertThat(referrers(repo, digest, "").size()).isZero();
    }

    @Test
    void malformedDigestIs400() {
        String repo = newRepo("refbad");
        for (String bad : List.of("sha256:xyz", "nope", "sha256:" + "A".repeat(64))) {
            Resp r = get("/v2/" + repo + "/referrers/" + bad);
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.errorCode()).isEqualTo("DIGEST_INVALID");
        }
        String digest = sha256("x".getBytes(StandardCharsets.UTF_8));
        assertThat(get("/v2/" + repo + "/referrers/" + digest + "?n=x").status())
                .isEqualTo(400);
        assertThat(get("/v2/" + repo + "/referrers/" + digest + "?last=bad").status())
                .isEqualTo(400);
    }
}
