package dev.berth.registry.gc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.registry.storage.GcMarkers;
import dev.berth.registry.storage.RegistryLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rescue protocol against deterministic interleavings: writers act at chosen points between the
 * collector's phases ({@link GcHooks}), or against markers placed by hand where a phase boundary is too coarse.
 */
class GcProtocolTest {
    private static final Duration OLD = Duration.ofDays(2);
    private static final GcOptions OPTIONS = GcFixture.options(Duration.ofHours(1), Duration.ZERO);

    @TempDir
    Path dir;

    GcFixture fx;
    GcMarkers markers;

    @BeforeEach
    void setUp() throws Exception {
        fx = new GcFixture(dir);
        markers = new GcMarkers(fx.driver);
    }

    /** Orphaned config and layer, long unreferenced: GC candidates until a manifest references them. */
    private Descriptor[] oldOrphans(String repo) throws Exception {
        Descriptor layer = fx.blob(repo);
        Descriptor config = fx.blob(
                repo, "application/vnd.oci.image.config.v1+json", "{\"orphan\":true}".getBytes(StandardCharsets.UTF_8));
        fx.ageEverything(OLD);
        return new Descriptor[] {config, layer};
    }

    private byte[] manifestOver(Descriptor config, Descriptor layer) {
        String json = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"" + config.mediaType() + "\",\"digest\":\"" + config.digest()
                + "\",\"size\":" + config.size() + "},\"layers\":[{\"mediaType\":\"" + layer.mediaType()
                + "\",\"digest\":\"" + layer.digest() + "\",\"size\":" + layer.size() + "}]}";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private GcReport collect(GcPhase at, Action action) throws Exception {
        return new GarbageCollector(fx.driver, phase -> {
                    if (phase == at) {
                        try {
                            action.run();
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    }
                })
                .run(OPTIONS);
    }

    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }

    @Test
    void manifestPushedAfterTheIntentsRescuesItsBlobs() throws Exception {
        Descriptor[] blobs = oldOrphans("app");
        Descriptor[] pushed = new Descriptor[1];

        GcReport report = collect(GcPhase.SETTLE, () -> {
            assertThat(fx.exists(RegistryLayout.blobMarker(blobs[1].digest(), RegistryLayout.GC_INTENT)))
                    .isTrue();
            pushed[0] = fx.push("app", manifestOver(blobs[0], blobs[1]), "v1");
        });

        assertThat(pushed[0]).isNotNull();
        assertPullable("app", pushed[0].digest());
        assertThat(report.blobsDeleted()).isZero();
        assertThat(report.blobsRescued()).isEqualTo(2);
        assertThat(fx.markers()).isEmpty();
    }

    @Test
    void pushWhoseRescueCameBeforeTheIntentsIsSeenByTheRemark() throws Exception {
        Descriptor[] blobs = oldOrphans("app");
        byte[] body = manifestOver(blobs[0], blobs[1]);
        List<Descriptor> pushed = new ArrayList<>();

        // The PUT rescues (nothing to rescue yet) before the intents, and its revision lands during the settle.
        GcReport report = new GarbageCollector(fx.driver, phase -> {
                    try {
                        if (phase == GcPhase.ANNOUNCE) {
                            assertThat(fx.blobs.rescue(blobs[0].digest())).isTrue();
                            assertThat(fx.blobs.rescue(blobs[1].digest())).isTrue();
                        } else if (phase == GcPhase.REMARK) {
                            pushed.add(fx.service
                                    .push("app", body, GcFixture.parse(body), Digest.sha256(body), List.of())
                                    .descriptor());
                        }
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                })
                .run(OPTIONS);

        assertPullable("app", pushed.get(0).digest());
        assertThat(report.blobsDeleted()).isZero();
        assertThat(report.manifestsKept()).isEqualTo(1);
        assertThat(fx.markers()).isEmpty();
    }

    @Test
    void claimedBlobCountsAsAbsentAndAnUploadWritesItAfresh() throws Exception {
        Descriptor[] blobs = oldOrphans("app");
        Digest layer = blobs[1].digest();
        String blobDir = RegistryLayout.blobDir(layer);
        markers.intend(blobDir);
        assertThat(markers.claim(blobDir)).isTrue();

        assertThat(fx.blobs.rescue(layer)).isFalse();
        assertThat(fx.blobs.retain(layer)).as("a mount falls back to an upload").isFalse();
        assertThat(fx.push("app", manifestOver(blobs[0], blobs[1])))
                .as("MANIFEST_BLOB_UNKNOWN")
                .isNull();

        // The client uploads the layer again while the collector still holds the claim: the commit waits.
        byte[] bytes = fx.blobs.readSmall(layer);
        String upload = RegistryLayout.uploadData("app", "u1");
        fx.driver.putContent(upload, bytes);
        CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> {
            try {
                fx.blobs.commitFrom(upload, layer);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !commit.isDone());
        // The collector deletes the bytes (the claim goes last): claimed and gone, the writer writes them afresh.
        fx.driver.delete(RegistryLayout.blobData(layer));
        commit.get(5, TimeUnit.SECONDS);
        markers.unclaim(blobDir);

        assertThat(fx.blobs.readSmall(layer)).isEqualTo(bytes);
        fx.links.link("app", layer);
        assertThat(fx.push("app", manifestOver(blobs[0], blobs[1]), "v1")).isNotNull();
    }

    @Test
    void uploadOfTheSameBytesDuringTheSettleKeepsTheBlob() throws Exception {
        Descriptor[] blobs = oldOrphans("app");
        Digest layer = blobs[1].digest();

        GcReport report = collect(GcPhase.SETTLE, () -> {
            String upload = RegistryLayout.uploadData("app", "u2");
            fx.driver.putContent(upload, fx.blobs.readSmall(layer));
            fx.blobs.commitFrom(upload, layer);
            fx.links.link("app", layer);
        });

        assertThat(fx.blobExists(layer)).isTrue();
        assertThat(fx.links.isLinked("app", layer)).isTrue();
        assertThat(fx.blobExists(blobs[0].digest()))
                .as("the config was not re-uploaded")
                .isFalse();
        assertThat(report.blobsDeleted()).isEqualTo(1);
        assertThat(report.blobsRescued()).isEqualTo(1);
        assertEveryLinkResolves();
    }

    @Test
    void mountBeforeTheIntentRestartsTheGracePeriod() throws Exception {
        Descriptor[] blobs = oldOrphans("app");
        Digest layer = blobs[1].digest();

        // Mounted after the listing but before the intent: only the re-check after the claim can see it.
        GcReport report = collect(GcPhase.ANNOUNCE, () -> {
            assertThat(fx.blobs.retain(layer)).isTrue();
            fx.links.link("other", layer);
        });

        assertThat(fx.blobExists(layer)).isTrue();
        assertThat(fx.links.isLinked("other", layer)).isTrue();
        assertThat(report.blobsRescued()).isEqualTo(1);
        assertThat(fx.markers()).isEmpty();
        assertEveryLinkResolves();
    }

    @Test
    void revisionRePushedWithATagDuringTheSettleIsKept() throws Exception {
        Descriptor image = fx.image("app");
        byte[] body = fx.blobs.readSmall(image.digest());
        fx.ageEverything(OLD);

        GcReport report = collect(GcPhase.SETTLE, () -> {
            assertThat(fx.exists(
                            RegistryLayout.manifestRevisionMarker("app", image.digest(), RegistryLayout.GC_INTENT)))
                    .isTrue();
            assertThat(fx.push("app", body, "latest")).isNotNull();
        });

        assertPullable("app", image.digest());
        assertThat(fx.tags.resolve("app", "latest")).contains(image.digest());
        assertThat(report.manifestsDeleted()).isZero();
        assertThat(report.manifestsRescued()).isEqualTo(1);
        assertThat(fx.markers()).isEmpty();
    }

    @Test
    void indexPushedAfterTheRemarkRescuesItsChildren() throws Exception {
        Descriptor child = fx.image("app");
        fx.ageEverything(OLD);
        Descriptor[] index = new Descriptor[1];

        // Too late for the re-mark to see the index: only the child's rescue can save it.
        GcReport report =
                collect(GcPhase.SWEEP_MANIFESTS, () -> index[0] = fx.push("app", fx.indexBody(child), "multi"));

        assertThat(index[0]).isNotNull();
        assertThat(fx.revisionExists("app", index[0].digest())).isTrue();
        assertPullable("app", child.digest());
        assertThat(report.manifestsDeleted()).isZero();
        assertThat(report.manifestsRescued()).isEqualTo(1);
        assertThat(report.blobsRescued())
                .as("the child's body, config and layer")
                .isEqualTo(3);
    }

    @Test
    void pushOfAClaimedRevisionWaitsForTheCollectorAndWritesItAfresh() throws Exception {
        Descriptor image = fx.image("app");
        byte[] body = fx.blobs.readSmall(image.digest());
        String revisionDir = RegistryLayout.manifestRevisionDir("app", image.digest());
        markers.intend(revisionDir);
        assertThat(markers.claim(revisionDir)).isTrue();

        CompletableFuture<Descriptor> push = CompletableFuture.supplyAsync(() -> {
            try {
                return fx.push("app", body, "latest");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !push.isDone());
        fx.driver.delete(RegistryLayout.manifestRevision("app", image.digest()));
        assertThat(push.get(5, TimeUnit.SECONDS)).isNotNull();
        markers.unclaim(revisionDir);

        assertPullable("app", image.digest());
    }

    @Test
    void aRescueRacingTheClaimHasExactlyOneWinner() throws Exception {
        for (int i = 0; i < 40; i++) {
            Digest d = fx.blobs.putSmall(("race-" + i).getBytes(StandardCharsets.UTF_8), DigestAlgorithm.SHA256);
            String blobDir = RegistryLayout.blobDir(d);
            markers.intend(blobDir);
            CompletableFuture<Boolean> claim = CompletableFuture.supplyAsync(() -> {
                try {
                    return markers.claim(blobDir);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            boolean rescued = fx.blobs.rescue(d);
            assertThat(rescued).as("iteration %d", i).isNotEqualTo(claim.get(5, TimeUnit.SECONDS));
        }
    }

    private void assertPullable(String repo, Digest manifest) throws Exception {
        assertThat(fx.revisionExists(repo, manifest)).isTrue();
        List<Digest> closure = fx.closure(manifest);
        for (Digest d : closure) {
            byte[] content = fx.blobs.readSmall(d);
            assertThat(Digest.sha256(content)).isEqualTo(d);
        }
        for (Digest d : closure.subList(1, closure.size())) {
            assertThat(fx.links.isLinked(repo, d)).as("link %s", d).isTrue();
        }
    }

    private void assertEveryLinkResolves() throws Exception {
        fx.driver.walk(RegistryLayout.REPOSITORIES, info -> {
            if (info.path().contains("/_layers/") && info.path().endsWith("/link")) {
                String[] p = info.path().split("/");
                Digest d = Digest.parse(p[p.length - 3] + ":" + p[p.length - 2]);
                assertThat(fx.blobExists(d)).as("linked blob %s", d).isTrue();
            }
            return true;
        });
    }
}
