package dev.berth.registry.storage;

import dev.berth.oci.Digest;
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

    public RepositoryLinks(StorageDriver driver) {
        this.driver = driver;
        this.markers = new GcMarkers(driver);
    }

    public boolean isLinked(String repository, Digest digest) throws IOException {
        try {
            driver.stat(RegistryLayout.layerLink(repository, digest));
            return true;
        } catch (PathNotFoundException e) {
            return false;
        }
    }

    public void link(String repository, Digest digest) throws IOException {
        driver.putContent(RegistryLayout.layerLink(repository, digest),
                digest.toString().getBytes(StandardCharsets.US_ASCII));
    }

    /** Returns false when there was no link. */
    public boolean unlink(String repository, Digest digest) throws IOException {
        try {
            driver.delete(RegistryLayout.layerLink(repository, digest).replaceAll("/link$", ""));
            return true;
        } catch (PathNotFoundException e) {
            return false;
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
        markers.rescueAndAwait(RegistryLayout.manifestRevisionDir(name, digest), "link",
                BlobStore.DEFAULT_CLAIM_WAIT.toMillis());
    }
}
