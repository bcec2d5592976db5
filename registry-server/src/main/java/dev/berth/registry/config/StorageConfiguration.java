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
import dev.berth.storage.s3.S3CompatibilityException;
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
            case "filesystem" -> new CheckedStorageDriver(filesystem(properties.getStorage().getFilesystem()));
            case "s3" -> s3Driver(properties.getStorage().getS3());
            default -> throw new ConfigurationProblem("berth.storage.driver", "Unknown storage driver '" + driver
                    + "'.", "Set berth.storage.driver to filesystem or s3.");
        };
    }

    private static FilesystemDriver filesystem(BerthProperties.Filesystem filesystem) {
        Path root = filesystem.getRoot().toAbsolutePath().normalize();
        try {
            Files.createDirectories(root);
            return new FilesystemDriver(root);
        } catch (IOException e) {
            throw new ConfigurationProblem("berth.storage.filesystem.root", "Cannot use " + root
                    + " as the storage root (" + e + ").", "Point berth.storage.filesystem.root at a directory "
                    + "the user running Berth may create and write.", e);
        }
    }

    /**
     * The S3 driver, once its bucket and credentials answered ({@link S3StartupCheck}) and the bucket passed the
     * compatibility check (unless {@code compatibility-check=false}); either failure stops start-up with a
     * {@link StorageStartupException} that names the property and what to do.
     */
    static StorageDriver s3Driver(BerthProperties.S3 s3) {
        S3Driver driver = new S3Driver(s3Config(s3));
        StorageDriver checked = new CheckedStorageDriver(driver);
        try {
            S3StartupCheck.verify(checked, s3);
            if (s3.isCompatibilityCheck()) {
                S3CompatibilityCheck.run(driver);
            }
        } catch (S3CompatibilityException e) {
            driver.close();
            throw new StorageStartupException("berth.storage.s3.endpoint", e.getMessage(), "Use an S3 server with "
                    + "this capability, or set berth.storage.s3.compatibility-check=false if you know it is safe.", e);
        } catch (RuntimeException e) {
            driver.close();
            throw e;
        }
        return checked;
    }

    /** Maps {@code berth.storage.s3.*} onto the driver's configuration, which validates it. */
    static S3DriverConfig s3Config(BerthProperties.S3 s3) {
        if (s3.getBucket() == null || s3.getBucket().isBlank()) {
            throw new ConfigurationProblem("berth.storage.s3.bucket",
                    "berth.storage.driver=s3, but berth.storage.s3.bucket is not set.",
                    "Set berth.storage.s3.bucket to an existing bucket.");
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
            throw new ConfigurationProblem("berth.storage.s3.kms-key-id", "A KMS key is set, which needs "
                    + "berth.storage.s3.server-side-encryption=kms.", "Set "
                    + "berth.storage.s3.server-side-encryption=kms, or remove berth.storage.s3.kms-key-id.");
        }
        try {
            return config.build();
        } catch (IllegalArgumentException e) {
            throw new ConfigurationProblem("berth.storage.s3", "Invalid berth.storage.s3.* settings: "
                    + e.getMessage(), "Correct the berth.storage.s3.* setting named above.", e);
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
