package dev.berth.registry.observe;

import dev.berth.registry.upload.UploadSession;
import dev.berth.registry.upload.UploadSessions;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * Committed uploads: {@code berth.upload.duration} ({@code berth_upload_duration_seconds_*}), from the session's
 * start to its commit, which spans every chunk and the client's pauses between them; and
 * {@code berth.upload.size} ({@code berth_upload_size_bytes_*}).
 */
public final class UploadMetrics implements UploadSessions.CommitListener {
    private final Timer duration;
    private final DistributionSummary size;

    public UploadMetrics(MeterRegistry registry) {
        this.duration = Timer.builder("berth.upload.duration")
                .description("Blob uploads, from session start to commit")
                .register(registry);
        this.size = DistributionSummary.builder("berth.upload.size")
                .description("Sizes of committed blob uploads")
                .baseUnit("bytes")
                .register(registry);
    }

    @Override
    public void committed(UploadSession session, long bytes, Duration took) {
        duration.record(took.isNegative() ? Duration.ZERO : took);
        size.record(bytes);
    }
}
