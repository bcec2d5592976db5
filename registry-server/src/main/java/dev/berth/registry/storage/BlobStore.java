package dev.berth.registry.storage;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.registry.cache.RegistryCaches;
import dev.berth.storage.FileInfo;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The global content-addressed store: one copy of every blob (layers, configs and manifest bodies), shared by
 * all repositories. Access from a repository is granted by {@link RepositoryLinks}, never by this class.
 *
 * <p>Writers that rely on a blob go through {@link #putSmall}, {@link #commitFrom}, {@link #rescue} or
 * {@link #retain}, which take part in online garbage collection's protocol ({@code dev.berth.registry.gc}):
 * blobs are deleted only by the collector, never by this class.
 */
public class BlobStore {
    /** How long a writer waits for a garbage collector that claimed a blob to finish with it. */
    public static final Duration DEFAULT_CLAIM_WAIT = Duration.ofSeconds(30);

    private final StorageDriver driver;
    private final GcMarkers markers;
    private final long claimWaitMillis;
    private final RegistryCaches caches;

    public BlobStore(StorageDriver driver) {
        this(driver, DEFAULT_CLAIM_WAIT);
    }

    /** With the longest time a writer waits for a garbage collector holding a claim (see {@link #commitFrom}). */
    public BlobStore(StorageDriver driver, Duration claimWait) {
        this(driver, claimWait, RegistryCaches.disabled());
    }

    /** With the caches {@link #cachedSize} and {@link #readSmall} answer from. */
    public BlobStore(StorageDriver driver, Duration claimWait, RegistryCaches caches) {
        this.driver = driver;
        this.markers = new GcMarkers(driver);
        this.claimWaitMillis = claimWait.toMillis();
        this.caches = caches;
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

    /**
     * The blob's size if it is stored, possibly from the cache, for pulls ({@code HEAD}/{@code GET} of a blob).
     * A size is cached only when the blob's directory holds no garbage-collection marker, and expires
     * {@code berth.cache.ttl} after that check, before any collector can delete the bytes (see
     * {@code dev.berth.registry.cache}): a cached answer never names a blob that cannot be read.
     */
    public Optional<Long> cachedSize(Digest digest) throws IOException {
        return caches.blobSize(digest, () -> {
            GcMarkers.State state = markers.state(RegistryLayout.blobDir(digest), "data");
            if (!state.content()) {
                return RegistryCaches.Answer.absent();
            }
            Optional<Long> size = size(digest);
            return size.isEmpty()
                    ? RegistryCaches.Answer.absent()
                    : new RegistryCaches.Answer<>(size.get(), !state.intent() && !state.claimed());
        });
    }

    /**
     * Reads a small blob whole (manifests, configs). Manifest bodies are cached by digest: content never
     * changes, and reading through a repository is guarded by its revision link, not by this method.
     */
    public byte[] readSmall(Digest digest) throws IOException {
        return caches.manifest(
                digest, () -> RegistryCaches.Answer.of(driver.getContent(RegistryLayout.blobData(digest))));
    }

    /** Streams a blob from {@code offset}. */
    public InputStream open(Digest digest, long offset) throws IOException {
        return driver.reader(RegistryLayout.blobData(digest), offset);
    }

    /**
     * Stores small content (a manifest body) under its digest, rescuing it from garbage collection. Content
     * already present is not rewritten, so concurrent writers of the same bytes are harmless; content that a
     * collector has claimed is written afresh once the collector has deleted the old copy.
     */
    public Digest putSmall(byte[] content, DigestAlgorithm algorithm) throws IOException {
        Digest digest = Digest.compute(algorithm, content);
        String data = RegistryLayout.blobData(digest);
        GcMarkers.State state = markers.rescueAndAwait(RegistryLayout.blobDir(digest), "data", claimWaitMillis);
        if (!state.content()) {
            driver.putContent(data, content);
        }
        return digest;
    }

    /**
     * When the blob {@code digest} is already stored, {@linkplain #retain retains} it and returns true: a
     * writer holding the same bytes (same digest) can then discard its copy instead of publishing it, which
     * spares the fsync of bytes nobody will read. Returns false when the blob is absent, or was claimed by a
     * garbage collector that has deleted it meanwhile (this waits for that, as {@link #commitFrom} does).
     */
    public boolean adoptExisting(Digest digest) throws IOException {
        GcMarkers.State state = markers.rescueAndAwait(RegistryLayout.blobDir(digest), "data", claimWaitMillis);
        if (!state.content()) {
            return false;
        }
        touch(digest);
        return true;
    }

    /**
     * Makes verified upload bytes the blob {@code digest}, by an atomic move. When the blob already exists the
     * upload is discarded (its bytes are, by digest, the same) and the blob is {@linkplain #retain retained}.
     * When a garbage collector has claimed the existing blob, this waits until the collector has deleted it and
     * then moves the fresh bytes in, rather than discarding them.
     */
    public void commitFrom(String verifiedUploadPath, Digest digest) throws IOException {
        if (adoptExisting(digest)) {
            driver.delete(verifiedUploadPath);
            return;
        }
        driver.move(verifiedUploadPath, RegistryLayout.blobData(digest));
    }

    /**
     * Protects a blob that a writer is about to rely on for a short while, until a manifest that references it
     * is written: cancels a garbage collector's pending deletion. Call it for every blob (config, layer) a
     * manifest PUT references, before checking that the repository can serve them and before writing the
     * revision; the PUT must then finish within {@code berth.gc.settle-delay}. Returns false when the blob is
     * absent or already claimed by a collector, which counts as absent: answer {@code MANIFEST_BLOB_UNKNOWN}
     * (or {@code BLOB_UNKNOWN}) and the client uploads it again.
     */
    public boolean rescue(Digest digest) throws IOException {
        GcMarkers.State state = markers.rescue(RegistryLayout.blobDir(digest), "data");
        return state.content() && !state.claimed();
    }

    /**
     * Like {@link #rescue}, and also restarts the blob's grace period ({@code berth.gc.grace-period}): for
     * writers that grant a repository access to an existing blob without writing a manifest, i.e. a cross-repo
     * mount, so the blob survives until the client's manifest PUT that follows. Returns false as {@link #rescue}
     * does; a mount then falls back to a normal upload.
     */
    public boolean retain(Digest digest) throws IOException {
        if (!rescue(digest)) {
            return false;
        }
        touch(digest);
        return true;
    }

    private void touch(Digest digest) throws IOException {
        driver.putContent(
                RegistryLayout.blobMarker(digest, RegistryLayout.TOUCHED),
                Instant.now().toString().getBytes(StandardCharsets.US_ASCII));
    }
}
