package dev.berth.registry.storage;

import dev.berth.oci.Digest;

/**
 * One object of Berth's storage tree, as {@link RegistryLayout#parse} reads it from a path: the typed inverse of
 * {@link RegistryLayout}'s builders. {@link #path()} builds the path again, so {@code parse(p.path())} is
 * {@code p}.
 */
public sealed interface StoredPath {

    /** The storage path of this object. */
    String path();

    /** The bytes of a blob or manifest in the global store. */
    record BlobData(Digest digest) implements StoredPath {
        @Override
        public String path() {
            return RegistryLayout.blobData(digest);
        }
    }

    /** A marker next to a blob's bytes: {@link RegistryLayout#TOUCHED}, {@link RegistryLayout#GC_INTENT} or
     * {@link RegistryLayout#GC_CLAIMED}. */
    record BlobMarker(Digest digest, String marker) implements StoredPath {
        @Override
        public String path() {
            return RegistryLayout.blobMarker(digest, marker);
        }
    }

    /** GC's own state below {@code /v2/_gc} ({@code clock}, {@code report}). */
    record GcState(String name) implements StoredPath {
        @Override
        public String path() {
            return RegistryLayout.GC + "/" + name;
        }
    }

    /** A repository's link to a blob (layer or config), which grants it access to the blob. */
    record LayerLink(String repository, Digest digest) implements StoredPath {
        @Override
        public String path() {
            return RegistryLayout.layerLink(repository, digest);
        }
    }

    /** A manifest revision's link in a repository. */
    record RevisionLink(String repository, Digest digest) implements StoredPath {
        @Override
        public String path() {
            return RegistryLayout.manifestRevision(repository, digest);
        }
    }

    /** A GC marker ({@link RegistryLayout#GC_INTENT} or {@link RegistryLayout#GC_CLAIMED}) of a revision. */
    record RevisionMarker(String repository, Digest digest, String marker) implements StoredPath {
        @Override
        public String path() {
            return RegistryLayout.manifestRevisionMarker(repository, digest, marker);
        }
    }

    /** A tag's current link (the manifest digest it points to). */
    record TagCurrent(String repository, String tag) implements StoredPath {
        @Override
        public String path() {
            return RegistryLayout.tagCurrent(repository, tag);
        }
    }

    /** The referrers entry of manifest {@code referrer}, whose subject is {@code subject}. */
    record ReferrerLink(String repository, Digest subject, Digest referrer) implements StoredPath {
        @Override
        public String path() {
            return RegistryLayout.referrer(repository, subject, referrer);
        }
    }

    /**
     * A file of upload session {@code uploadId}: {@code data}, {@code startedat} or
     * {@code hashstates/<alg>/<offset>} ({@code file} is that part of the path).
     */
    record UploadFile(String repository, String uploadId, String file) implements StoredPath {
        @Override
        public String path() {
            return RegistryLayout.upload(repository, uploadId) + "/" + file;
        }
    }
}
