package dev.berth.registry.proxy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Everything under {@code berth.proxy.*}: the upstream registries Berth mirrors as a pull-through cache. The
 * routing table built from it ({@link Upstreams}) validates it at start-up.
 */
@ConfigurationProperties("berth.proxy")
public class ProxyProperties {
    /** Serve the upstreams below; off, {@code upstreams} are ignored and every repository is local. */
    private boolean enabled;
    /** The mirrored registries, any number. */
    private List<Upstream> upstreams = new ArrayList<>();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public List<Upstream> getUpstreams() {
        return upstreams;
    }

    public void setUpstreams(List<Upstream> upstreams) {
        this.upstreams = upstreams;
    }

    /** One mirrored registry. */
    public static class Upstream {
        /** The registry host clients know, e.g. {@code docker.io}; containerd's {@code ?ns=} selects by it. */
        private String name;
        /** Where to fetch, e.g. {@code https://registry-1.docker.io}. */
        private URI url;
        /** The local repository prefix it is served and cached under; defaults to {@code name}. */
        private String prefix;
        /** Serves requests that name no upstream (dockerd {@code registry-mirrors}); at most one may set it. */
        private boolean isDefault;
        /** Static credentials for the upstream (Basic, or to obtain tokens). */
        private String username;

        private String password;
        /** PEM CA certificates the upstream's certificate must chain to, instead of the JVM's. */
        private Path caFile;
        /** Accept any upstream certificate (testing only). */
        private boolean insecure;
        /** How long a tag's resolution is trusted before it is revalidated against the upstream. */
        private Duration tagTtl = Duration.ofMinutes(5);
        /** The cache size at which least-recently-used content is evicted; unset: unbounded. */
        private DataSize maxSize;

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public URI getUrl() {
            return url;
        }

        public void setUrl(URI url) {
            this.url = url;
        }

        public String getPrefix() {
            return prefix;
        }

        public void setPrefix(String prefix) {
            this.prefix = prefix;
        }

        public boolean isDefault() {
            return isDefault;
        }

        public void setDefault(boolean isDefault) {
            this.isDefault = isDefault;
        }

        public String getUsername() {
            return username;
        }

        public void setUsername(String username) {
            this.username = username;
        }

        public String getPassword() {
            return password;
        }

        public void setPassword(String password) {
            this.password = password;
        }

        public Path getCaFile() {
            return caFile;
        }

        public void setCaFile(Path caFile) {
            this.caFile = caFile;
        }

        public boolean isInsecure() {
            return insecure;
        }

        public void setInsecure(boolean insecure) {
            this.insecure = insecure;
        }

        public Duration getTagTtl() {
            return tagTtl;
        }

        public void setTagTtl(Duration tagTtl) {
            this.tagTtl = tagTtl;
        }

        public DataSize getMaxSize() {
            return maxSize;
        }

        public void setMaxSize(DataSize maxSize) {
            this.maxSize = maxSize;
        }
    }
}
