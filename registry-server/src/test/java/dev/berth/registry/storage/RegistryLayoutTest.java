package dev.berth.registry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RegistryLayoutTest {
    private static final Digest A = Digest.sha256("a".getBytes(StandardCharsets.UTF_8));
    private static final Digest B = Digest.compute(DigestAlgorithm.SHA512, "b".getBytes(StandardCharsets.UTF_8));

    @Test
    void everyKindOfStoredPathParsesBackFromTheBuiltPath() {
        List<StoredPath> all = List.of(
                new StoredPath.BlobData(A),
                new StoredPath.BlobData(B),
                new StoredPath.BlobMarker(A, RegistryLayout.TOUCHED),
                new StoredPath.BlobMarker(A, RegistryLayout.GC_INTENT),
                new StoredPath.BlobMarker(B, RegistryLayout.GC_CLAIMED),
                new StoredPath.GcState("clock"),
                new StoredPath.GcState("report"),
                new StoredPath.LayerLink("library/alpine", A),
                new StoredPath.RevisionLink("a/b/c", B),
                new StoredPath.RevisionMarker("x", A, RegistryLayout.GC_INTENT),
                new StoredPath.RevisionMarker("x", A, RegistryLayout.GC_CLAIMED),
                new StoredPath.TagCurrent("team/app", "v1.2_rc-3"),
                new StoredPath.ReferrerLink("r", A, B),
                new StoredPath.UploadFile("r", "6f1c-22", "data"),
                new StoredPath.UploadFile("r", "6f1c-22", "startedat"),
                new StoredPath.UploadFile("r", "6f1c-22", "hashstates/sha256/1024"));

        for (StoredPath stored : all) {
            assertThat(RegistryLayout.parse(stored.path())).as(stored.path()).contains(stored);
        }
    }

    @Test
    void theBuildersAndTheRecordsAgreeOnPaths() {
        assertThat(new StoredPath.BlobData(A).path()).isEqualTo(RegistryLayout.blobData(A));
        assertThat(new StoredPath.TagCurrent("n", "t").path()).isEqualTo(RegistryLayout.tagCurrent("n", "t"));
        assertThat(new StoredPath.UploadFile("n", "u", "hashstates/sha256/7").path())
                .isEqualTo(RegistryLayout.uploadHashState("n", "u", DigestAlgorithm.SHA256, 7));
        assertThat(RegistryLayout.parse(RegistryLayout.referrer("n", A, B)))
                .contains(new StoredPath.ReferrerLink("n", A, B));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/v2",
                "/v2/blobs",
                "/v2/blobs/sha256",
                "/elsewhere/v2/blobs/sha256/ca/ca978112/data",
                // blob paths: wrong fan-out directory, unknown file, unknown algorithm, bad hex, too short or long
                "/v2/blobs/sha256/00/ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb/data",
                "/v2/blobs/sha256/ca/ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb/other",
                "/v2/blobs/md5/ca/ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb/data",
                "/v2/blobs/sha256/ca/caXYZ/data",
                "/v2/blobs/sha256/ca/ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
                "/v2/blobs/sha256/ca/ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb/data/x",
                "/v2/blobs/sha256//ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb/data",
                // repository paths: no name, bad name, unknown data directory, wrong shapes
                "/v2/repositories/_layers/sha256/ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb/link",
                "/v2/repositories/Upper/_layers/sha256/ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb/link",
                "/v2/repositories/r/_other/x",
                "/v2/repositories/r/_layers/sha256/ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
                "/v2/repositories/r/_layers/sha256/nothex/link",
                "/v2/repositories/r/_manifests/revisions/sha256/ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb/touched",
                "/v2/repositories/r/_manifests/tags/v1/current",
                "/v2/repositories/r/_manifests/tags/v1/index/link",
                "/v2/repositories/r/_manifests/tags/.bad/current/link",
                "/v2/repositories/r/_referrers/sha256/ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb/link",
                "/v2/repositories/r/_uploads/only-an-id",
                "/v2/repositories/r",
                "/v2/repositories/r//_uploads/u/data",
                "/v2/_gc/other",
            })
    void malformedOrForeignPathsParseToNothing(String path) {
        assertThat(RegistryLayout.parse(path)).as(path).isEmpty();
    }

    @Test
    void aRepositoryNameRunsUpToTheFirstDataDirectory() {
        assertThat(RegistryLayout.parse(RegistryLayout.tagCurrent("a/b_c/d-e", "latest")))
                .contains(new StoredPath.TagCurrent("a/b_c/d-e", "latest"));
        assertThat(RegistryLayout.isDataDirectory("_manifests")).isTrue();
        assertThat(RegistryLayout.isDataDirectory("manifests")).isFalse();
    }
}
