package dev.berth.registry.upload;

import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.storage.Repositories;
import dev.berth.registry.storage.StoredPath;
import dev.berth.storage.CheckedStorageDriver;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.s3.S3Driver;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes upload sessions without activity for {@code berth.uploads.session-ttl}, every
 * {@code berth.uploads.purge-interval}, independently of garbage collection (which purges too, as its last phase).
 * A session's activity is the newest modification time of anything stored for it (its marker and the digest state
 * saved after each request). On S3 it also aborts the driver's abandoned multipart uploads
 * ({@link S3Driver#purgeUploads}), whose parts are billed but invisible to listings.
 *
 * <p>Every replica runs it; runs racing on one session are harmless (the loser finds nothing to delete).
 */
public final class UploadPurger implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UploadPurger.class);

    private final StorageDriver driver;
    private final Duration ttl;
    private final Clock clock;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "berth-upload-purge");
        t.setDaemon(true);
        return t;
    });

    public UploadPurger(StorageDriver driver, Duration ttl, Clock clock) {
        this.driver = driver;
        this.ttl = ttl;
        this.clock = clock;
    }

    /** Purges every {@code interval} from now on (the first run after one interval); zero or negative: never. */
    public void schedule(Duration interval) {
        if (interval.isZero() || interval.isNegative()) {
            return;
        }
        executor.scheduleWithFixedDelay(
                this::purgeQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One pass over every repository; returns how many sessions (and S3 multipart uploads) were discarded. */
    public long purge() throws IOException {
        Instant cutoff = clock.instant().minus(ttl);
        long purged = 0;
        for (String name : Repositories.all(driver)) {
            purged += purgeRepository(driver, name, cutoff, false);
        }
        return purged + purgeDriverUploads(driver, ttl);
    }

    /**
     * Deletes (or, in a dry run, only counts) the upload sessions of one repository whose latest activity, the
     * newest modification time of anything in the session, is before {@code cutoff}. Shared with the garbage
     * collector, which purges as its last step with the storage's own clock.
     */
    public static long purgeRepository(StorageDriver driver, String name, Instant cutoff, boolean dryRun)
            throws IOException {
        String uploads = RegistryLayout.uploads(name);
        Map<String, Instant> activity = new HashMap<>();
        try {
            driver.walk(uploads, info -> {
                if (RegistryLayout.parse(info.path()).orElse(null) instanceof StoredPath.UploadFile file) {
                    Instant time = info.modTime() == null ? Instant.EPOCH : info.modTime();
                    activity.merge(file.uploadId(), time, (a, b) -> a.isAfter(b) ? a : b);
                }
                return true;
            });
        } catch (PathNotFoundException e) {
            return 0; // no uploads in this repository
        }
        long purged = 0;
        for (Map.Entry<String, Instant> session : activity.entrySet()) {
            if (session.getValue().isBefore(cutoff)) {
                if (!dryRun) {
                    try {
                        driver.delete(RegistryLayout.upload(name, session.getKey()));
                    } catch (PathNotFoundException finishedMeanwhile) {
                        continue; // completed or purged by another replica
                    }
                }
                purged++;
            }
        }
        return purged;
    }

    /** Abandoned uploads the driver keeps out of sight (S3 multipart uploads and their sessions). */
    public static long purgeDriverUploads(StorageDriver driver, Duration ttl) throws IOException {
        StorageDriver raw = driver instanceof CheckedStorageDriver checked ? checked.delegate() : driver;
        return raw instanceof S3Driver s3 ? s3.purgeUploads(ttl) : 0;
    }

    private void purgeQuietly() {
        try {
            long purged = purge();
            if (purged > 0) {
                log.info("purged {} upload sessions idle for more than {}", purged, ttl);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("upload purge failed; next attempt in one interval: {}", e.toString());
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
