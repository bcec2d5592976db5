package dev.berth.registry.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.registry.gc.Mark.Revision;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Marking as a pure graph walk: no storage, the manifest bodies are a map. */
class MarkTest {
    private static final Instant OLD = Instant.parse("2020-01-01T00:00:00Z");
    private static final Instant YOUNG_CUTOFF = Instant.parse("2024-01-01T00:00:00Z");
    private static final Instant YOUNG = Instant.parse("2024-06-01T00:00:00Z");

    private final Map<Digest, ManifestRefs> bodies = new HashMap<>();

    private static Digest d(String name) {
        return Digest.sha256(name.getBytes(StandardCharsets.UTF_8));
    }

    private Digest manifest(String name, List<Digest> blobs, List<Digest> children) {
        Digest digest = d(name);
        bodies.put(digest, new ManifestRefs(blobs, children));
        return digest;
    }

    private Mark.Result mark(RepositoryScan scan) throws Exception {
        return Mark.repository(scan, YOUNG_CUTOFF, m -> bodies.getOrDefault(m, ManifestRefs.NONE));
    }

    @Test
    void aTagKeepsItsManifestTheBlobsItReferencesAndTheManifestBodyItself() throws Exception {
        Digest config = d("config");
        Digest layer = d("layer");
        Digest image = manifest("image", List.of(config, layer), List.of());
        Digest orphan = manifest("orphan", List.of(d("orphan-layer")), List.of());
        RepositoryScan scan = RepositoryScan.of("r");
        scan.revisions().put(image, OLD);
        scan.revisions().put(orphan, OLD);
        scan.tagged().add(image);

        Mark.Result result = mark(scan);

        assertThat(result.kept()).containsExactly(image);
        assertThat(result.blobs()).containsExactlyInAnyOrder(image, config, layer);
        assertThat(result.doomed()).containsExactly(new Revision("r", orphan));
    }

    @Test
    void anIndexKeepsItsChildrenAndReferrersKeepAlongWithTheirSubject() throws Exception {
        Digest child = manifest("child", List.of(d("child-layer")), List.of());
        Digest index = manifest("index", List.of(), List.of(child));
        Digest signature = manifest("signature", List.of(d("signature-blob")), List.of());
        Digest signatureOfOrphan = manifest("signature-of-orphan", List.of(), List.of());
        Digest orphan = manifest("orphan", List.of(), List.of());
        RepositoryScan scan = RepositoryScan.of("r");
        for (Digest m : List.of(child, index, signature, signatureOfOrphan, orphan)) {
            scan.revisions().put(m, OLD);
        }
        scan.tagged().add(index);
        scan.addReferrer(child, signature);
        scan.addReferrer(orphan, signatureOfOrphan);

        Mark.Result result = mark(scan);

        assertThat(result.kept()).containsExactlyInAnyOrder(index, child, signature);
        assertThat(result.blobs()).contains(d("child-layer"), d("signature-blob"));
        assertThat(result.doomed())
                .containsExactlyInAnyOrder(new Revision("r", orphan), new Revision("r", signatureOfOrphan));
    }

    @Test
    void untaggedRevisionsAreRootsOnlyWhileYoungAndCyclesEnd() throws Exception {
        Digest a = d("a");
        Digest b = d("b");
        bodies.put(a, new ManifestRefs(List.of(), List.of(b)));
        bodies.put(b, new ManifestRefs(List.of(), List.of(a))); // a cycle, which no valid push makes
        Digest young = manifest("young", List.of(d("young-layer")), List.of());
        RepositoryScan scan = RepositoryScan.of("r");
        scan.revisions().put(a, OLD);
        scan.revisions().put(b, OLD);
        scan.revisions().put(young, YOUNG);
        scan.revisions().put(d("no-time"), null);

        Mark.Result result = mark(scan);

        assertThat(result.kept()).containsExactlyInAnyOrder(young, d("no-time"));
        assertThat(result.doomed()).containsExactlyInAnyOrder(new Revision("r", a), new Revision("r", b));

        scan.tagged().add(a);
        assertThat(mark(scan).kept()).contains(a, b);
        assertThat(mark(scan).doomed()).isEmpty();
    }

    @Test
    void whatARescuedRevisionReachesStaysWithinItsRepository() throws Exception {
        Digest child = manifest("child", List.of(d("layer")), List.of());
        Digest index = manifest("index", List.of(), List.of(child));
        Digest referrer = manifest("referrer", List.of(d("sbom")), List.of());
        RepositoryScan scan = RepositoryScan.of("r");
        scan.addReferrer(child, referrer);

        Mark.Reached reached = Mark.reachedFrom(
                List.of(new Revision("r", index)), Map.of("r", scan), m -> bodies.getOrDefault(m, ManifestRefs.NONE));

        assertThat(reached.revisions())
                .containsExactlyInAnyOrder(
                        new Revision("r", index), new Revision("r", child), new Revision("r", referrer));
        assertThat(reached.blobs()).containsExactlyInAnyOrder(index, child, referrer, d("layer"), d("sbom"));
    }
}
