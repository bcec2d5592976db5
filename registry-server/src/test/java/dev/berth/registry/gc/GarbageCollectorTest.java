package dev.berth.registry.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.storage.filesystem.FilesystemDriver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mark and sweep on a filesystem driver, without concurrent writers (see {@link GcProtocolTest} for those). */
class GarbageCollectorTest {
    private static final Duration OLD = Duration.ofDays(2);

    @TempDir
    Path dir;

    GcFixture fx;

    @BeforeEach
    void setUp() throws Exception {
        fx = new GcFixture(dir);
    }

    @Test
    void keepsTaggedImagesWithIndexChildrenAndReferrersAndDeletesTheRest() throws Exception {
        String repo = "team/app";
        Descriptor amd = fx.image(repo);
        Descriptor arm = fx.image(repo);
        Descriptor index = fx.push(repo, fx.indexBody(amd, arm), "v1");
        Descriptor signature = fx.push(repo, fx.imageBody(repo, index, fx.blob(repo)));
        Descriptor sbomOfSignature = fx.push(repo, fx.imageBody(repo, signature, fx.blob(repo)));
        Descriptor untagged = fx.image(repo);
        Digest untaggedLayer = fx.closure(untagged.digest()).get(2);
        Descriptor orphanOfUntagged = fx.push(repo, fx.imageBody(repo, untagged, fx.blob(repo)));
        Digest orphan = fx.blob("other").digest();
        fx.ageEverything(OLD);
        Digest youngOrphan = fx.blob("other").digest();

        GcReport report =
                new GarbageCollector(fx.driver).run(GcFixture.options(Duration.ofHours(1), Duration.ofDays(1)));

        for (Descriptor kept : new Descriptor[] {index, amd, arm, signature, sbomOfSignature}) {
            assertThat(fx.revisionExists(repo, kept.digest()))
                    .as("revision %s", kept.digest())
                    .isTrue();
            for (Digest d : fx.closure(kept.digest())) {
                assertThat(fx.blobExists(d))
                        .as("blob %s of %s", d, kept.digest())
                        .isTrue();
            }
        }
        assertThat(fx.tags.resolve(repo, "v1")).contains(index.digest());
        assertThat(fx.revisionExists(repo, untagged.digest())).isFalse();
        assertThat(fx.blobExists(untagged.digest())).isFalse();
        assertThat(fx.blobExists(untaggedLayer)).isFalse();
        assertThat(fx.links.isLinked(repo, untaggedLayer))
                .as("link removed with the blob")
                .isFalse();
        assertThat(fx.revisionExists(repo, orphanOfUntagged.digest()))
                .as("referrer of a deleted subject")
                .isFalse();
        assertThat(fx.count(RegistryLayout.referrers(repo, untagged.digest()))).isZero();
        assertThat(fx.count(RegistryLayout.referrers(repo, index.digest()))).isEqualTo(1);
        assertThat(fx.blobExists(orphan)).isFalse();
        assertThat(fx.links.isLinked("other", orphan)).isFalse();
        assertThat(fx.blobExists(youngOrphan)).as("within the grace period").isTrue();
        assertThat(fx.links.isLinked("other", youngOrphan)).isTrue();
        assertThat(fx.markers()).isEmpty();

        assertThat(report.dryRun()).isFalse();
        assertThat(report.repositoriesScanned()).isEqualTo(2);
        assertThat(report.manifestsKept()).isEqualTo(5);
        assertThat(report.manifestsDeleted()).isEqualTo(2);
        // Deleted: untagged (body, config, layer), its referrer (body, config, layer) and the orphan.
        assertThat(report.blobsDeleted()).isEqualTo(7);
        // Kept: 5 bodies, 4 configs, 4 layers, and the young orphan.
        assertThat(report.blobsKept()).isEqualTo(14);
        assertThat(report.blobsScanned()).isEqualTo(21);
        assertThat(report.bytesFreed()).isPositive();
        assertThat(report.blobsPerSecond()).isPositive();
    }

    @Test
    void untaggedManifestsAreKeptWhileYoungerThanThePolicy() throws Exception {
        String repo = "app";
        Descriptor old = fx.image(repo);
        fx.ageEverything(Duration.ofDays(10));
        Descriptor young = fx.image(repo);
        fx.ageEverything(Duration.ofDays(3)); // ages the young one (and nothing else matters: older still)
        Files.setLastModifiedTime(
                dir.resolve(RegistryLayout.manifestRevision(repo, old.digest()).substring(1)),
                FileTime.from(Instant.now().minus(Duration.ofDays(10))));

        GcReport report =
                new GarbageCollector(fx.driver).run(GcFixture.options(Duration.ofHours(1), Duration.ofDays(7)));

        assertThat(fx.revisionExists(repo, young.digest())).isTrue();
        assertThat(fx.blobExists(young.digest())).isTrue();
        assertThat(fx.revisionExists(repo, old.digest())).isFalse();
        assertThat(fx.blobExists(old.digest())).isFalse();
        assertThat(report.manifestsKept()).isEqualTo(1);
        assertThat(report.manifestsDeleted()).isEqualTo(1);
    }

    @Test
    void unreferencedBlobsAreDeletedOnlyAfterTheGracePeriod() throws Exception {
        Digest older = fx.blob("app").digest();
        long olderSize = fx.blobs.size(older).orElseThrow();
        fx.ageEverything(Duration.ofMinutes(90));
        Digest newer = fx.blob("app").digest();
        Files.setLastModifiedTime(
                dir.resolve(RegistryLayout.blobData(newer).substring(1)),
                FileTime.from(Instant.now().minus(Duration.ofMinutes(30))));

        GcReport report = new GarbageCollector(fx.driver).run(GcFixture.options(Duration.ofHours(1), Duration.ZERO));

        assertThat(fx.blobExists(older)).isFalse();
        assertThat(fx.blobExists(newer)).isTrue();
        assertThat(report.blobsDeleted()).isEqualTo(1);
        assertThat(report.blobsKept()).isEqualTo(1);
        assertThat(report.bytesFreed()).isEqualTo(olderSize);
    }

    @Test
    void dryRunDeletesNothingAndPredictsTheRealRun() throws Exception {
        String repo = "app";
        fx.image(repo, "latest");
        fx.image(repo);
        fx.blob(repo);
        fx.ageEverything(OLD);
        byte[] before = snapshot();

        GcOptions options = GcFixture.options(Duration.ofHours(1), Duration.ZERO);
        GcReport dry = new GarbageCollector(fx.driver).run(options.withDryRun(true));

        assertThat(snapshot()).isEqualTo(before);
        assertThat(dry.dryRun()).isTrue();
        assertThat(dry.manifestsDeleted()).isEqualTo(1);
        assertThat(dry.blobsDeleted()).isEqualTo(4); // body, config and layer of the untagged image, the orphan

        GcReport real = new GarbageCollector(fx.driver).run(options);
        assertThat(real.manifestsDeleted()).isEqualTo(dry.manifestsDeleted());
        assertThat(real.manifestsKept()).isEqualTo(dry.manifestsKept());
        assertThat(real.blobsDeleted()).isEqualTo(dry.blobsDeleted());
        assertThat(real.blobsKept()).isEqualTo(dry.blobsKept());
        assertThat(real.bytesFreed()).isEqualTo(dry.bytesFreed());
    }

    @Test
    void staleUploadSessionsArePurged() throws Exception {
        fx.driver.putContent(
                RegistryLayout.uploadStartedAt("app", "old-session"), "x".getBytes(StandardCharsets.US_ASCII));
        fx.ageEverything(Duration.ofDays(2));
        fx.driver.putContent(
                RegistryLayout.uploadStartedAt("app", "live-session"), "x".getBytes(StandardCharsets.US_ASCII));

        GcReport report = new GarbageCollector(fx.driver).run(GcFixture.options(Duration.ofHours(1), Duration.ZERO));

        assertThat(fx.exists(RegistryLayout.upload("app", "old-session"))).isFalse();
        assertThat(fx.exists(RegistryLayout.upload("app", "live-session"))).isTrue();
        assertThat(report.uploadsPurged()).isEqualTo(1);
    }

    @Test
    void stagingFilesACrashOrphanedAreSweptAfterTheGracePeriod() throws Exception {
        // What a process killed mid-upload leaves: a writer's private file and a putContent temp file.
        Path staging = fx.root.resolve(FilesystemDriver.STAGING_DIR);
        Path writerFile = Files.createDirectories(staging.resolve("v2/repositories/app/_uploads/u1"))
                .resolve("data#0b9f");
        Path putTemp = Files.createDirectories(staging.resolve("#put")).resolve("5c1e");
        Path parked = Files.createDirectories(staging.resolve("v2/repositories/app/_uploads/u3"))
                .resolve("data#partial");
        for (Path leftover : new Path[] {writerFile, putTemp, parked}) {
            Files.write(leftover, new byte[] {1, 2, 3});
            Files.setLastModifiedTime(leftover, FileTime.from(Instant.now().minus(OLD)));
        }
        // A live writer's file is younger than the grace period.
        Path young = Files.createDirectories(staging.resolve("v2/repositories/app/_uploads/u2"))
                .resolve("data#77aa");
        Files.write(young, new byte[] {4});

        GcReport dry = new GarbageCollector(fx.driver)
                .run(GcFixture.options(Duration.ofHours(1), Duration.ZERO).withDryRun(true));
        assertThat(writerFile).exists();
        assertThat(dry.leftoversSwept()).isZero();

        GcReport report = new GarbageCollector(fx.driver).run(GcFixture.options(Duration.ofHours(1), Duration.ZERO));

        assertThat(writerFile).doesNotExist();
        assertThat(writerFile.getParent())
                .as("emptied staging directories are pruned")
                .doesNotExist();
        assertThat(putTemp).doesNotExist();
        assertThat(putTemp.getParent())
                .as("the putContent directory itself stays")
                .isDirectory();
        assertThat(parked).as("parked content belongs to its upload session").exists();
        assertThat(young).exists();
        assertThat(report.leftoversSwept()).isEqualTo(2);
        // The driver still works after the sweep.
        fx.driver.putContent("/after/sweep", new byte[] {5});
        assertThat(fx.driver.getContent("/after/sweep")).containsExactly(5);
    }

    @Test
    void markersOfACollectorThatDiedAreCleanedUp() throws Exception {
        String repo = "app";
        Descriptor tagged = fx.image(repo, "latest");
        Digest layer = fx.closure(tagged.digest()).get(2);
        // A claim on a referenced blob blocks its writers; an old one belongs to a dead collector.
        fx.driver.putContent(RegistryLayout.blobMarker(layer, RegistryLayout.GC_CLAIMED), new byte[0]);
        fx.driver.putContent(
                RegistryLayout.manifestRevisionMarker(repo, tagged.digest(), RegistryLayout.GC_INTENT), new byte[0]);
        fx.ageEverything(OLD);

        new GarbageCollector(fx.driver).run(GcFixture.options(Duration.ofHours(1), Duration.ZERO));

        assertThat(fx.markers()).isEmpty();
        assertThat(fx.blobs.rescue(layer)).isTrue();
        assertThat(fx.revisionExists(repo, tagged.digest())).isTrue();
    }

    private byte[] snapshot() throws Exception {
        StringBuilder sb = new StringBuilder();
        fx.driver.walk(RegistryLayout.ROOT, info -> {
            if (!info.path().startsWith(RegistryLayout.GC)) {
                sb.append(info.path())
                        .append(' ')
                        .append(info.size())
                        .append(' ')
                        .append(info.modTime())
                        .append('\n');
            }
            return true;
        });
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
