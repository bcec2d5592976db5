package dev.berth.registry.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.registry.storage.RegistryLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures collection speed on the filesystem driver: {@code -Dberth.gc.bench=10000} blobs, half of them
 * referenced by tagged images in 50 repositories, half orphaned and old. Off by default (setup writes the tree
 * directly, but the run itself fsyncs every intent, claim and delete).
 */
@EnabledIfSystemProperty(named = "berth.gc.bench", matches = "\\d+")
class GcRateBenchmark {
    @TempDir
    Path dir;

    @Test
    void rate() throws Exception {
        int blobs = Integer.getInteger("berth.gc.bench");
        GcFixture fx = new GcFixture(dir);
        int images = blobs / 2 / 3; // body, config, layer
        for (int i = 0; i < images; i++) {
            fx.image("bench/r" + (i % 50), "t" + i);
        }
        FileTime old = FileTime.from(Instant.now().minus(Duration.ofDays(2)));
        int orphans = blobs - images * 3;
        for (int i = 0; i < orphans; i++) {
            byte[] content = ("orphan-" + i).getBytes(StandardCharsets.UTF_8);
            Path file =
                    dir.resolve(RegistryLayout.blobData(Digest.sha256(content)).substring(1));
            Files.createDirectories(file.getParent());
            Files.write(file, content);
        }
        fx.ageEverything(Duration.ofDays(2));

        GcOptions options = GcOptions.builder()
                .gracePeriod(Duration.ofHours(1))
                .keepUntaggedFor(Duration.ZERO)
                .settleDelay(Duration.ZERO)
                .uploadTtl(Duration.ofDays(1))
                .parallelism(Integer.getInteger("berth.gc.parallelism", 4))
                .batchSize(500)
                .build();
        GcReport dry = new GarbageCollector(fx.driver).run(options.withDryRun(true));
        GcReport report = new GarbageCollector(fx.driver).run(options);
        System.out.printf("GC bench: dry run %s%nGC bench: real run %s%n", dry, report);
        System.out.printf(
                "GC bench: %d blobs scanned, %d deleted in %d ms: %.0f blobs/s scanned, %.0f deleted/s%n",
                report.blobsScanned(),
                report.blobsDeleted(),
                report.durationMillis(),
                report.blobsPerSecond(),
                report.blobsDeleted() * 1000.0 / Math.max(1, report.durationMillis()));
        assertThat(report.blobsDeleted()).isEqualTo(orphans);
        assertThat(old).isNotNull();
    }
}
