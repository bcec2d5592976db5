package dev.berth.registry.config;

import dev.berth.registry.storage.BlobStore;
import dev.berth.registry.storage.Blocking;
import dev.berth.registry.storage.RepositoryLinks;
import dev.berth.registry.upload.UploadSessions;
import dev.berth.storage.CheckedStorageDriver;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.filesystem.FilesystemDriver;
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
    StorageDriver storageDriver(BerthProperties properties) throws IOException {
        String driver = properties.getStorage().getDriver();
        return switch (driver) {
            case "filesystem" -> {
                Path root = properties.getStorage().getFilesystem().getRoot().toAbsolutePath().normalize();
                Files.createDirectories(root);
                yield new CheckedStorageDriver(new FilesystemDriver(root));
            }
            // TODO(lead): wire the S3 driver here once it lands.
            case "s3" -> throw new IllegalStateException("berth.storage.driver=s3 is not available yet");
            default -> throw new IllegalStateException(
                    "unknown berth.storage.driver '" + driver + "' (expected filesystem or s3)");
        };
    }

    @Bean
    BlobStore blobStore(StorageDriver driver) {
        return new BlobStore(driver);
    }

    @Bean
    RepositoryLinks repositoryLinks(StorageDriver driver) {
        return new RepositoryLinks(driver);
    }

    @Bean
    UploadSessions uploadSessions(StorageDriver driver, BlobStore blobs, RepositoryLinks links,
                                  BerthProperties properties) {
        return new UploadSessions(driver, blobs, links, properties.getUploads().getMaxBlobSize().toBytes(),
                Clock.systemUTC());
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
