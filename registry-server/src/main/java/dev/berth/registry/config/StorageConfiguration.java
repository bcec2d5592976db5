package dev.berth.registry.config;

import dev.berth.registry.cache.RegistryCaches;
import dev.berth.registry.storage.BlobStore;
import dev.berth.registry.storage.Blocking;
import dev.berth.registry.storage.RepositoryLinks;
import dev.berth.registry.upload.UploadPurger;
import dev.berth.registry.upload.UploadSessions;
import dev.berth.storage.CheckedStorageDriver;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.filesystem.FilesystemDriver;
import dev.berth.storage.s3.S3Driver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Creates the storage driver named by {@code berth.storage.driver}, always wrapped in
 * {@link CheckedStorageDriver}, and the storage-layer beans built on it.
 */
@Configuration(proxyBeanMethods = false)
public class StorageConfiguration {

    @Bean(destroyMethod = "close")
    StorageDriver storageDriver(BerthProperties properties, S3Properties s3) throws IOException {
        String driver = properties.getStorage().getDriver();
        return switch (driver) {
            case "filesystem" ->
                new CheckedStorageDriver(filesystem(properties.getStorage().getFilesystem()));
            case "s3" -> s3Driver(s3);
            default ->
                throw new ConfigurationProblem(
                        "berth.storage.driver",
                        "Unknown storage driver '" + driver + "'.",
                        "Set berth.storage.driver to filesystem or s3.");
        };
    }

    private static FilesystemDriver filesystem(BerthProperties.Filesystem filesystem) {
        Path root = filesystem.getRoot().toAbsolutePath().normalize();
        try {
            Files.createDirectories(root);
            return new FilesystemDriver(root);
        } catch (IOException e) {
            throw new ConfigurationProblem(
                    "berth.storage.filesystem.root",
                    "Cannot use " + root + " as the storage root (" + e + ").",
                    "Point berth.storage.filesystem.root at a directory "
                            + "the user running Berth may create and write.",
                    e);
        }
    }

    /**
     * The S3 driver, once its bucket passed the start-up probe ({@link S3StartupCheck}); a refusal stops start-up
     * with a {@link StorageStartupException} that names the property and what to do.
     */
    static StorageDriver s3Driver(S3Properties s3) {
        S3Driver driver = new S3Driver(s3.toDriverConfig());
        try {
            S3StartupCheck.run(driver, s3);
        } catch (RuntimeException e) {
            driver.close();
            throw e;
        }
        return new CheckedStorageDriver(driver);
    }

    @Bean
    BlobStore blobStore(StorageDriver driver, RegistryCaches caches) {
        return new BlobStore(driver, BlobStore.DEFAULT_CLAIM_WAIT, caches);
    }

    @Bean
    RepositoryLinks repositoryLinks(StorageDriver driver, RegistryCaches caches) {
        return new RepositoryLinks(driver, caches);
    }

    @Bean
    UploadSessions uploadSessions(
            StorageDriver driver, BlobStore blobs, RepositoryLinks links, BerthProperties properties) {
        return new UploadSessions(
                driver,
                blobs,
                links,
                properties.getUploads().getMaxBlobSize().toBytes(),
                Clock.systemUTC(),
                properties.getUploads().isPortableDigestState());
    }

    /** Purges idle upload sessions every {@code berth.uploads.purge-interval}. */
    @Bean(destroyMethod = "close")
    UploadPurger uploadPurger(StorageDriver driver, BerthProperties properties) {
        UploadPurger purger = new UploadPurger(driver, properties.getUploads().getSessionTtl(), Clock.systemUTC());
        purger.schedule(properties.getUploads().getPurgeInterval());
        return purger;
    }

    /**
     * A dedicated bounded pool rather than the shared {@code boundedElastic}: storage stalls (a slow disk, S3
     * throttling) then queue here instead of starving unrelated blocking work.
     */
    @Bean(destroyMethod = "dispose")
    Scheduler storageScheduler() {
        int threads = Math.max(16, 10 * Runtime.getRuntime().availableProcessors());
        return Schedulers.newBoundedElastic(threads, 100_000, "berth-storage", 60, true);
    }

    @Bean
    Blocking blocking(Scheduler storageScheduler) {
        return new Blocking(storageScheduler);
    }
}
