package dev.berth.registry.storage;

import dev.berth.oci.Digest;
import dev.berth.registry.cache.RegistryCaches;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Per-repository links that grant a repository access to blobs in the global {@link BlobStore}: a layer or
 * config is readable through {@code /v2/<name>/blobs/<digest>} only while the repository links it.
 */
public class RepositoryLinks {
    private final StorageDriver driver;
    private final GcMarkers markers;
    private final RegistryCaches caches;

    public RepositoryLinks(StorageDriver driver) {
        this(driver, RegistryCaches.disabled());
    }

    public RepositoryLinks(StorageDriver driver, RegistryCaches caches) {
        this.driver = driver;
        this.markers = new GcMarkers(driver);
        this.caches = caches;
    }

    /** Whether the repository links the blob, read from storage: for writers that rely on the answer. */
    public boolean isLinked(String repository, Digest digest) throws IOException {
        try {
            driver.stat(RegistryLayout.layerLink(repository, digest));
            return true;
        } catch (PathNotFoundException e) {
            return false;
        }
    }

    /**
     * Like {@link #isLinked}, possibly from the cache, for pulls: an unlink by another replica shows here up
     * to {@code berth.cache.ttl} late, while the bytes stay readable (see {@code dev.berth.registry.cache}).
     */
    public boolean isLinkedCached(String repository, Digest digest) throws IOException {
        return caches.link(
                repository,
                digest,
                () -> isLinked(repository, digest)
                        ? RegistryCaches.Answer.of(Boolean.TRUE)
                        : RegistryCaches.Answer.absent());
    }

    public void link(String repository, Digest digest) throws IOException {
        driver.putContent(
                RegistryLayout.layerLink(repository, digest), digest.toString().getBytes(StandardCharsets.US_ASCII));
        caches.invalidateLink(repository, digest);
    }

    /** Returns false when there was no link. */
    public boolean unlink(String repository, Digest digest) throws IOException {
        try {
            driver.delete(RegistryLayout.layerLink(repository, digest).replaceAll("/link$", ""));
            return true;
        } catch (PathNotFoundException e) {
            return false;
        } finally {
            caches.invalidateLink(repository, digest);
        }
    }

    /**
     * Cancels a garbage collector's pending deletion of manifest revision {@code digest} in {@code name}. A
     * manifest PUT calls it before writing the revision link (and must then finish within
     * {@code berth.gc.settle-delay}). When a collector has already claimed the revision, this waits until the
     * collector has deleted the old link, so the PUT writes it afresh; it fails with
     * {@link dev.berth.storage.StorageUnavailableException} if that takes longer than {@link
     * BlobStore#DEFAULT_CLAIM_WAIT}.
     */
    public void rescueRevision(String name, Digest digest) throws IOException {
        markers.rescueAndAwait(
                RegistryLayout.manifestRevisionDir(name, digest), "link", BlobStore.DEFAULT_CLAIM_WAIT.toMillis());
    }
}
