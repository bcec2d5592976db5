package dev.berth.registry.config;

import dev.berth.registry.cache.RegistryCaches;
import dev.berth.registry.manifest.Catalog;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.manifest.ManifestStore;
import dev.berth.registry.manifest.ReferrersIndex;
import dev.berth.registry.manifest.TagStore;
import dev.berth.registry.storage.BlobStore;
import dev.berth.registry.storage.RepositoryLinks;
import dev.berth.storage.StorageDriver;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The manifest-side storage layer: revisions, tags, the referrers index and the catalog. */
@Configuration(proxyBeanMethods = false)
public class ManifestConfiguration {

    @Bean
    ManifestStore manifestStore(StorageDriver driver, BlobStore blobs, RepositoryLinks links, RegistryCaches caches) {
        return new ManifestStore(driver, blobs, links, caches);
    }

    @Bean
    TagStore tagStore(StorageDriver driver, RegistryCaches caches) {
        return new TagStore(driver, caches);
    }

    @Bean
    ReferrersIndex referrersIndex(StorageDriver driver) {
        return new ReferrersIndex(driver);
    }

    @Bean
    ManifestService manifestService(ManifestStore manifests, TagStore tags, ReferrersIndex referrers) {
        return new ManifestService(manifests, tags, referrers);
    }

    @Bean
    Catalog catalog(StorageDriver driver) {
        return new Catalog(driver);
    }
}
