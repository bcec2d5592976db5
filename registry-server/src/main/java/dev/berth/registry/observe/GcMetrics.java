package dev.berth.registry.observe;

import dev.berth.registry.gc.GcReport;
import dev.berth.registry.gc.GcService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * Garbage collections run by this process:
 *
 * <ul>
 *   <li>{@code berth.gc.runs} ({@code berth_gc_runs_total}) by {@code dry_run} and {@code outcome}
 *       ({@code success}, {@code failure});</li>
 *   <li>{@code berth.gc.duration} ({@code berth_gc_duration_seconds_*}) by {@code dry_run};</li>
 *   <li>of real runs only: {@code berth.gc.freed} ({@code berth_gc_freed_bytes_total}),
 *       {@code berth.gc.blobs.deleted}, {@code berth.gc.manifests.deleted}, {@code berth.gc.uploads.purged}.</li>
 * </ul>
 */
public final class GcMetrics implements GcService.GcListener {
    private final MeterRegistry registry;
    private final Counter freed;
    private final Counter blobsDeleted;
    private final Counter manifestsDeleted;
    private final Counter uploadsPurged;

    public GcMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.freed = Counter.builder("berth.gc.freed")
                .description("Bytes of blobs deleted by garbage collection")
                .baseUnit("bytes")
                .register(registry);
        this.blobsDeleted = Counter.builder("berth.gc.blobs.deleted")
                .description("Blobs deleted by garbage collection")
                .register(registry);
        this.manifestsDeleted = Counter.builder("berth.gc.manifests.deleted")
                .description("Manifest revisions deleted by garbage collection")
                .register(registry);
        this.uploadsPurged = Counter.builder("berth.gc.uploads.purged")
                .description("Stale upload sessions purged by garbage collection")
                .register(registry);
        runs(false, "success");
        runs(false, "failure");
    }

    @Override
    public void finished(boolean dryRun, GcReport report, Exception failure, Duration took) {
        runs(dryRun, failure == null ? "success" : "failure").increment();
        Timer.builder("berth.gc.duration")
                .description("Wall time of garbage collections")
                .tag("dry_run", Boolean.toString(dryRun))
                .register(registry)
                .record(took);
        if (failure == null && report != null && !report.dryRun()) {
            freed.increment(report.bytesFreed());
            blobsDeleted.increment(report.blobsDeleted());
            manifestsDeleted.increment(report.manifestsDeleted());
            uploadsPurged.increment(report.uploadsPurged());
        }
    }

    private Counter runs(boolean dryRun, String outcome) {
        return Counter.builder("berth.gc.runs")
                .description("Garbage collections run by this process")
                .tags("dry_run", Boolean.toString(dryRun), "outcome", outcome)
                .register(registry);
    }
}
