package dev.berth.registry.config;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Everything under {@code berth.*}. Property names are part of Berth's interface (README's configuration
 * reference); environment variables override them the Spring way, e.g. {@code BERTH_STORAGE_FILESYSTEM_ROOT}.
 */
@ConfigurationProperties("berth")
public class BerthProperties {
    private final Storage storage = new Storage();
    private final Uploads uploads = new Uploads();
    private final Manifests manifests = new Manifests();

    public Storage getStorage() {
        return storage;
    }

    public Uploads getUploads() {
        return uploads;
    }

    public Manifests getManifests() {
        return manifests;
    }

    public static class Storage {
        /** Which driver stores content: {@code filesystem} or {@code s3}. */
        private String driver = "filesystem";
        private final Filesystem filesystem = new Filesystem();
        private final Delete delete = new Delete();

        public String getDriver() {
            return driver;
        }

        public void setDriver(String driver) {
            this.driver = driver;
        }

        public Filesystem getFilesystem() {
            return filesystem;
        }

        public Delete getDelete() {
            return delete;
        }
    }

    public static class Filesystem {
        /** Directory that holds all content; created when missing. */
        private Path root = Path.of("./data");

        public Path getRoot() {
            return root;
        }

        public void setRoot(Path root) {
            this.root = root;
        }
    }

    public static class Delete {
        /** Whether DELETE of manifests, tags and blobs is allowed; when off they answer UNSUPPORTED. */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    public static class Uploads {
        /** The smallest PATCH chunk the registry asks clients for, sent as {@code OCI-Chunk-Min-Length}. */
        private DataSize chunkMinLength = DataSize.ofMegabytes(5);
        /** Largest blob accepted in one upload. */
        private DataSize maxBlobSize = DataSize.ofGigabytes(64);
        /** Upload sessions idle for longer than this may be purged. */
        private Duration sessionTtl = Duration.ofHours(24);

        public DataSize getChunkMinLength() {
            return chunkMinLength;
        }

        public void setChunkMinLength(DataSize chunkMinLength) {
            this.chunkMinLength = chunkMinLength;
        }

        public DataSize getMaxBlobSize() {
            return maxBlobSize;
        }

        public void setMaxBlobSize(DataSize maxBlobSize) {
            this.maxBlobSize = maxBlobSize;
        }

        public Duration getSessionTtl() {
            return sessionTtl;
        }

        public void setSessionTtl(Duration sessionTtl) {
            this.sessionTtl = sessionTtl;
        }
    }

    public static class Manifests {
        /** Largest manifest body accepted (the spec suggests at least 4 MiB). */
        private DataSize maxSize = DataSize.ofMegabytes(4);

        public DataSize getMaxSize() {
            return maxSize;
        }

        public void setMaxSize(DataSize maxSize) {
            this.maxSize = maxSize;
        }
    }
}
