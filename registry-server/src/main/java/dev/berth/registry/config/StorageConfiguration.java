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
import dev.berth.storage.s3.S3CompatibilityCheck;
import dev.berth.storage.s3.S3Driver;
import dev.berth.storage.s3.S3DriverConfig;
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
            case "s3" -> new CheckedStorageDriver(s3Driver(properties.getStorage().getS3()));
            default -> throw new IllegalStateException(
                    "unknown berth.storage.driver '" + driver + "' (expected filesystem or s3)");
        };
    }

    /**
     * The S3 driver, once its bucket passed the compatibility check (unless {@code compatibility-check=false}); a
     * failed check stops start-up with an {@link dev.berth.storage.s3.S3CompatibilityException}.
     */
    static S3Driver s3Driver(BerthProperties.S3 s3) {
        S3Driver driver = new S3Driver(s3Config(s3));
        if (s3.isCompatibilityCheck()) {
            try {
                S3CompatibilityCheck.run(driver);
            } catch (RuntimeException e) {
                driver.close();
                throw e;
            }
        }
        return driver;
    }

    /** Maps {@code berth.storage.s3.*} onto the driver's configuration, which validates it. */
    static S3DriverConfig s3Config(BerthProperties.S3 s3) {
        if (s3.getBucket() == null || s3.getBucket().isBlank()) {
            throw new IllegalStateException("berth.storage.driver=s3 needs berth.storage.s3.bucket");
        }
        S3DriverConfig.Builder config = S3DriverConfig.builder(s3.getBucket())
                .region(s3.getRegion())
                .endpoint(s3.getEndpoint())
                .pathStyleAccess(s3.isPathStyleAccess())
                .credentials(blankToNull(s3.getAccessKey()), blankToNull(s3.getSecretKey()))
                .rootPrefix(s3.getRootPrefix())
                .partSize(s3.getPartSize().toBytes())
                .serverSideEncryption(s3.getServerSideEncryption())
                .storageClass(blankToNull(s3.getStorageClass()))
                .redirect(s3.isRedirect())
                .presignValidity(s3.getRedirectValidity())
                .maxRetries(s3.getMaxRetries())
                .retryBackoff(s3.getRetryBaseDelay(), s3.getRetryMaxDelay())
                .connectTimeout(s3.getConnectTimeout())
                .socketTimeout(s3.getSocketTimeout())
                .claimLease(s3.getUploadClaimLease())
                .caCertificate(s3.getCaCertificate());
        if (s3.getServerSideEncryption() == S3DriverConfig.ServerSideEncryption.KMS) {
            config.kms(blankToNull(s3.getKmsKeyId()));
        } else if (blankToNull(s3.getKmsKeyId()) != null) {
            throw new IllegalStateException("berth.storage.s3.kms-key-id needs berth.storage.s3.server-side-encryption=kms");
        }
        try {
            return config.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("invalid berth.storage.s3.* settings: " + e.getMessage(), e);
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
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
    UploadSessions uploadSessions(StorageDriver driver, BlobStore blobs, RepositoryLinks links,
                                  BerthProperties properties) {
        return new UploadSessions(driver, blobs, links, properties.getUploads().getMaxBlobSize().toBytes(),
                Clock.systemUTC(), properties.getUploads().isPortableDigestState());
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
