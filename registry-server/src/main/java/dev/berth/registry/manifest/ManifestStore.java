package dev.berth.registry.manifest;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.ManifestParser;
import dev.berth.oci.OciJson;
import dev.berth.oci.ParsedManifest;
import dev.berth.registry.cache.RegistryCaches;
import dev.berth.registry.storage.BlobStore;
import dev.berth.registry.storage.GcMarkers;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.storage.RepositoryLinks;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.core.JacksonException;

/**
 * The manifest revisions of repositories. A manifest's bytes live once in the global {@link BlobStore}; a
 * repository holds it through a revision link whose content is the manifest's descriptor (media type, digest,
 * size), so a HEAD needs one small read and the stored media type survives bodies without a
 * {@code mediaType} field.
 */
public class ManifestStore {
    private final StorageDriver driver;
    private final BlobStore blobs;
    private final RepositoryLinks links;
    private final GcMarkers markers;
    private final RegistryCaches caches;

    public ManifestStore(StorageDriver driver, BlobStore blobs, RepositoryLinks links) {
        this(driver, blobs, links, RegistryCaches.disabled());
    }

    public ManifestStore(StorageDriver driver, BlobStore blobs, RepositoryLinks links, RegistryCaches caches) {
        this.driver = driver;
        this.blobs = blobs;
        this.links = links;
        this.markers = new GcMarkers(driver);
        this.caches = caches;
    }

    /**
     * The descriptor of manifest {@code digest} in repository {@code name}, if the repository holds it; possibly
     * from the cache. A revision is cached only while no garbage collector has announced its deletion, and
     * expires before one can carry it out (see {@code dev.berth.registry.cache}).
     */
    public Optional<Descriptor> stat(String name, Digest digest) throws IOException {
        return caches.revision(name, digest, () -> {
            GcMarkers.State state = markers.state(RegistryLayout.manifestRevisionDir(name, digest), "link");
            if (!state.content()) {
                return RegistryCaches.Answer.absent();
            }
            byte[] link;
            try {
                link = driver.getContent(RegistryLayout.manifestRevision(name, digest));
            } catch (PathNotFoundException e) {
                return RegistryCaches.Answer.absent();
            }
            return new RegistryCaches.Answer<>(readLink(link, digest), !state.intent() && !state.claimed());
        });
    }

    /** Whether the repository holds the revision, read from storage: for writers that rely on the answer. */
    public boolean exists(String name, Digest digest) throws IOException {
        try {
            driver.stat(RegistryLayout.manifestRevision(name, digest));
            return true;
        } catch (PathNotFoundException e) {
            return false;
        }
    }

    /** The exact bytes that were pushed. */
    public byte[] content(Digest digest) throws IOException {
        return blobs.readSmall(digest);
    }

    /**
     * The references of {@code manifest} that repository {@code name} cannot serve: blobs it does not link and
     * child manifests it does not hold. Foreign layers (descriptors with {@code urls}) are fetched elsewhere by
     * clients and are not required. The subject is never required: referrers may be pushed before it.
     *
     * <p>Each blob is first rescued from a pending garbage collection (see {@code dev.berth.registry.gc}), so
     * the push must then finish within the collector's settle delay; a blob a collector already claimed counts
     * as missing and the client uploads it again.
     */
    public List<Digest> missingReferences(String name, ParsedManifest manifest) throws IOException {
        List<Digest> missing = new ArrayList<>();
        for (Descriptor blob : manifest.blobs()) {
            Digest d = blob.digest();
            boolean foreign = blob.urls() != null && !blob.urls().isEmpty();
            if (!foreign && !missing.contains(d) && !(blobs.rescue(d) && links.isLinked(name, d))) {
                missing.add(d);
            }
        }
        for (Descriptor child : manifest.children()) {
            Digest d = child.digest();
            if (missing.contains(d)) {
                continue;
            }
            // Rescue before checking: an index pushed after the collector's re-mark would otherwise reference a
            // child whose deletion intent still stands, and the collector could claim it meanwhile.
            links.rescueRevision(name, d);
            if (!exists(name, d)) {
                missing.add(d);
            }
        }
        return missing;
    }

    /**
     * Stores the bytes in the blob store, then writes the revision link: the link appears only once its
     * content is readable. Both are rescued from a pending garbage collection first (putSmall does so for the
     * bytes).
     */
    public Descriptor put(String name, byte[] body, String mediaType, Digest digest) throws IOException {
        Digest stored = blobs.putSmall(body, digest.algorithm());
        if (!stored.equals(digest)) {
            throw new IllegalStateException("digest of stored bytes " + stored + " differs from " + digest);
        }
        links.rescueRevision(name, digest);
        Descriptor descriptor = Descriptor.of(mediaType, digest, body.length);
        driver.putContent(
                RegistryLayout.manifestRevision(name, digest), OciJson.mapper().writeValueAsBytes(descriptor));
        caches.invalidateRevision(name, digest);
        return descriptor;
    }

    /** Removes the revision link (the bytes stay for garbage collection); false when there was none. */
    public boolean delete(String name, Digest digest) throws IOException {
        try {
            driver.delete(RegistryLayout.manifestRevisionDir(name, digest));
            return true;
        } catch (PathNotFoundException e) {
            return false;
        } finally {
            caches.invalidateRevision(name, digest);
        }
    }

    private Descriptor readLink(byte[] link, Digest digest) throws IOException {
        // Links written by other tools (or older Berth) may hold just the digest: learn the type from the body.
        if (link.length > 0 && link[0] == '{') {
            try {
                Descriptor d = OciJson.mapper().readValue(link, Descriptor.class);
                if (d.digest() != null && d.digest().equals(digest) && d.mediaType() != null) {
                    return d;
                }
            } catch (JacksonException | IllegalArgumentException e) {
                // fall through to the body
            }
        }
        byte[] body = content(digest);
        ParsedManifest parsed = ManifestParser.parse(body, null);
        return Descriptor.of(parsed.mediaType(), digest, body.length);
    }
}
