package dev.berth.registry.gc;

import dev.berth.oci.OciJson;
import dev.berth.registry.config.BerthProperties;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.scheduling.support.CronExpression;
import tools.jackson.core.JacksonException;

/**
 * Runs collections one at a time per process, on a schedule ({@code berth.gc.schedule}) or on demand, and
 * remembers the last report. The report is also stored ({@code /v2/_gc/report}) so that every replica's admin
 * endpoint shows the last run, wherever it ran. Runs in read-only mode too: with client writes refused, that is
 * when a collection is safest.
 */
public class GcService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GcService.class);

    private final GarbageCollector collector;
    private final StorageDriver driver;
    private final BerthProperties properties;
    private final List<GcListener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "berth-gc");
        t.setDaemon(true);
        return t;
    });
    private final AtomicReference<Running> running = new AtomicReference<>();
    private volatile GcReport lastReport;
    private volatile String lastError;

    /** A run in progress. */
    public record Running(Instant since, boolean dryRun, CompletableFuture<GcReport> result) {}

    /**
     * What {@code GET /admin/gc} shows.
     *
     * @param state        {@code running} or {@code idle}
     * @param runningSince start of the run in progress, or null
     * @param dryRun       whether the run in progress is a dry run, or null
     * @param lastReport   the last finished run's report (possibly from another replica), or null
     * @param lastError    why this process's last run failed, or null
     */
    public record Status(String state, Instant runningSince, Boolean dryRun, GcReport lastReport, String lastError) {}

    /** Told about every finished run of this process (metrics). */
    public interface GcListener {
        void finished(boolean dryRun, GcReport report, Exception failure, Duration took);
    }

    public GcService(GarbageCollector collector, StorageDriver driver, BerthProperties properties) {
        this.collector = collector;
        this.driver = driver;
        this.properties = properties;
    }

    public void addListener(GcListener listener) {
        listeners.add(listener);
    }

    /** Starts a run in the background; empty when one is already running in this process. */
    public Optional<Running> start(boolean dryRun) {
        Running run = new Running(Instant.now(), dryRun, new CompletableFuture<>());
        if (!running.compareAndSet(null, run)) {
            return Optional.empty();
        }
        executor.execute(() -> execute(run));
        return Optional.of(run);
    }

    /** Runs one collection in the calling thread (the {@code gc} command); fails if one is running. */
    public GcReport runNow(boolean dryRun) throws IOException, InterruptedException {
        Running run = new Running(Instant.now(), dryRun, new CompletableFuture<>());
        if (!running.compareAndSet(null, run)) {
            throw new IllegalStateException("a garbage collection is already running");
        }
        execute(run);
        try {
            return run.result().join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        }
    }

    /** The current state and the last report; blocking: it may read the stored report. */
    public Status status() {
        Running run = running.get();
        GcReport report = lastReport != null ? lastReport : storedReport();
        return run == null
                ? new Status("idle", null, null, report, lastError)
                : new Status("running", run.since(), run.dryRun(), report, lastError);
    }

    private void execute(Running run) {
        GcReport report = null;
        Exception failure = null;
        long started = System.nanoTime();
        try {
            log.info("gc: starting{}", run.dryRun() ? " (dry run)" : "");
            report = collector.run(GcOptions.from(properties, run.dryRun()));
            lastReport = report;
            lastError = null;
            store(report);
            log.info("gc: {}", report);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            lastError = "interrupted";
            failure = e;
        } catch (IOException | RuntimeException e) {
            log.error("gc: failed", e);
            lastError = e.toString();
            failure = e;
        } finally {
            // Idle before anyone learns the outcome, so a caller may start the next run right away.
            running.set(null);
        }
        notify(run.dryRun(), report, failure, Duration.ofNanos(System.nanoTime() - started));
        if (failure == null) {
            run.result().complete(report);
        } else {
            run.result().completeExceptionally(failure);
        }
    }

    private void notify(boolean dryRun, GcReport report, Exception failure, Duration took) {
        for (GcListener listener : listeners) {
            try {
                listener.finished(dryRun, report, failure, took);
            } catch (RuntimeException e) {
                log.warn("gc: listener failed: {}", e.toString());
            }
        }
    }

    private void startScheduled() {
        start(false);
    }

    /**
     * Starts {@code berth.gc.schedule}: a Spring cron expression or an interval; blank means off. Runs that
     * would overlap a running one are skipped.
     */
    public void startSchedule() {
        String schedule = properties.getGc().getSchedule();
        if (schedule == null || schedule.isBlank()) {
            return;
        }
        if (CronExpression.isValidExpression(schedule)) {
            CronExpression cron = CronExpression.parse(schedule);
            scheduleNext(cron);
            log.info("gc: scheduled by cron '{}'", schedule);
        } else {
            Duration every = DurationStyle.detectAndParse(schedule);
            executor.scheduleWithFixedDelay(
                    this::startScheduled, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
            log.info("gc: scheduled every {}", every);
        }
    }

    private void scheduleNext(CronExpression cron) {
        LocalDateTime now = LocalDateTime.now();
        LocalDateTime next = cron.next(now);
        if (next == null) {
            return;
        }
        long delay = Duration.between(now.atZone(ZoneId.systemDefault()), next.atZone(ZoneId.systemDefault()))
                .toMillis();
        executor.schedule(
                () -> {
                    startScheduled();
                    scheduleNext(cron);
                },
                Math.max(0, delay),
                TimeUnit.MILLISECONDS);
    }

    private void store(GcReport report) {
        try {
            driver.putContent(RegistryLayout.gcReport(), OciJson.mapper().writeValueAsBytes(report));
        } catch (IOException | RuntimeException e) {
            log.warn("gc: could not store the report: {}", e.toString());
        }
    }

    private GcReport storedReport() {
        try {
            return OciJson.mapper().readValue(driver.getContent(RegistryLayout.gcReport()), GcReport.class);
        } catch (PathNotFoundException e) {
            return null;
        } catch (IOException | JacksonException e) {
            log.debug("gc: unreadable stored report: {}", e.toString());
            return null;
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
