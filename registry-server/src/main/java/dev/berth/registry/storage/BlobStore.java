package dev.berth.registry.storage;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.storage.FileInfo;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * The global content-addressed store: one copy of every blob (layers, configs and manifest bodies), shared by
 * all repositories. Access from a repository is granted by {@link RepositoryLinks}, never by this class.
 */
public class BlobStore {
    private final StorageDriver driver;

    public BlobStore(StorageDriver driver) {
        this.driver = driver;
    }

    public StorageDriver driver() {
        return driver;
    }

    /** The blob's size if it is stored. */
    public Optional<Long> size(Digest digest) throws IOException {
        try {
            FileInfo info = driver.stat(RegistryLayout.blobData(digest));
            return info.directory() ? Optional.empty() : Optional.of(info.size());
        } catch (PathNotFoundException e) {
            return Optional.empty();
        }
    }

    /** Reads a small blob whole (manifests, configs). */
    public byte[] readSmall(Digest digest) throws IOException {
        return driver.getContent(RegistryLayout.blobData(digest));
    }

    /** Streams a blob from {@code offset}. */
    public InputStream open(Digest digest, long offset) throws IOException {
        return driver.reader(RegistryLayout.blobData(digest), offset);
    }

    /**
     * Stores small content (a manifest body) under its digest. Idempotent: content already present is not
     * rewritten, so concurrent writers of the same bytes are harmless.
     */
    public Digest putSmall(byte[] content, DigestAlgorithm algorithm) throws IOException {
        Digest digest = Digest.compute(algorithm, content);
        if (size(digest).isEmpty()) {
            driver.putContent(RegistryLayout.blobData(digest), content);
        }
        return digest;
    }

    /**
     * Makes verified upload bytes the blob {@code digest} by an atomic move. When the blob already exists the
     * upload is simply discarded: its bytes are, by digest, the same.
     */
    public void commitFrom(String verifiedUploadPath, Digest digest) throws IOException {
        if (size(digest).isPresent()) {
            driver.delete(verifiedUploadPath);
            return;
        }
        driver.move(verifiedUploadPath, RegistryLayout.blobData(digest));
    }

    /** Removes the blob's bytes (garbage collection only: repositories lose access through their links). */
    public void delete(Digest digest) throws IOException {
        driver.delete(RegistryLayout.blobDir(digest));
    }
}
