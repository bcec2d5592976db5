package dev.berth.registry.storage;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;

/**
 * The one drawing of Berth's storage tree; every storage path is built here.
 *
 * <pre>
 * /v2
 *   blobs/&lt;alg&gt;/&lt;hex[0:2]&gt;/&lt;hex&gt;/data                  content-addressed bytes (blobs and manifests)
 *                                      /touched               a writer relied on the blob without a manifest
 *                                                             (upload onto existing bytes, mount): restarts GC grace
 *                                      /gc-intent             GC means to delete the blob; writers delete it (rescue)
 *                                      /gc-claimed            GC won the blob: it counts as absent until GC has
 *                                                             removed the data and then this marker
 *   _gc/clock                                               written and stat'ed to read the storage's clock
 *   _gc/report                                              the last GC report (JSON), for every replica to show
 *   repositories/&lt;name&gt;/                                 name may contain '/'
 *     _layers/&lt;alg&gt;/&lt;hex&gt;/link                         grants the repository access to a blob
 *     _manifests/revisions/&lt;alg&gt;/&lt;hex&gt;/link            a manifest in this repository (descriptor JSON:
 *                                                         mediaType, digest, size; the bytes are in blobs/)
 *     _manifests/revisions/&lt;alg&gt;/&lt;hex&gt;/gc-intent       the same two GC markers, for a revision (see
 *     _manifests/revisions/&lt;alg&gt;/&lt;hex&gt;/gc-claimed      dev.berth.registry.gc for the protocol)
 *     _manifests/tags/&lt;tag&gt;/current/link                   tag -&gt; manifest digest
 *     _referrers/&lt;alg&gt;/&lt;hex&gt;/&lt;ralg&gt;/&lt;rhex&gt;/link      referrer (descriptor JSON) of subject alg:hex
 *     _uploads/&lt;id&gt;/data                                  bytes of an upload in progress
 *     _uploads/&lt;id&gt;/startedat                             session marker: start time, running-digest algorithm
 *     _uploads/&lt;id&gt;/hashstates/&lt;alg&gt;/&lt;offset&gt;           saved digest state after &lt;offset&gt; bytes
 * </pre>
 *
 * Names are validated against the spec's grammar before they reach this class, and digests are typed, so no
 * path built here can climb out of its directory.
 */
public final class RegistryLayout {
    public static final String ROOT = "/v2";
    public static final String REPOSITORIES = ROOT + "/repositories";
    public static final String BLOBS = ROOT + "/blobs";
    /** Name of the directory that marks a repository holding manifests (see {@link #manifests}). */
    public static final String MANIFESTS_DIR = "_manifests";
    /**
     * Prefix of a repository's own data directories ({@code _layers}, {@code _manifests}, ...). Name components
     * never start with it, which is how a walk of {@link #REPOSITORIES} tells names from data.
     */
    public static final char DATA_DIR_PREFIX = '_';
    /** GC's own small state (clock probe, last report); not a repository, not a blob. */
    public static final String GC = ROOT + "/_gc";
    /** Marker name: garbage collection intends to delete the object next to it (see dev.berth.registry.gc). */
    public static final String GC_INTENT = "gc-intent";
    /** Marker name: garbage collection has claimed the object next to it; it counts as absent. */
    public static final String GC_CLAIMED = "gc-claimed";
    /** Marker name: a writer relied on the blob next to it; its GC grace period restarts from this time. */
    public static final String TOUCHED = "touched";

    private RegistryLayout() {
    }

    public static String blobDir(Digest d) {
        return BLOBS + "/" + d.algorithm().id() + "/" + d.hex().substring(0, 2) + "/" + d.hex();
    }

    public static String blobData(Digest d) {
        return blobDir(d) + "/data";
    }

    /** The marker {@code marker} ({@link #GC_INTENT}, {@link #GC_CLAIMED}, {@link #TOUCHED}) of a blob. */
    public static String blobMarker(Digest d, String marker) {
        return blobDir(d) + "/" + marker;
    }

    public static String gcClock() {
        return GC + "/clock";
    }

    public static String gcReport() {
        return GC + "/report";
    }

    public static String repository(String name) {
        return REPOSITORIES + "/" + name;
    }

    public static String layerLinks(String name) {
        return repository(name) + "/_layers";
    }

    public static String layerLink(String name, Digest d) {
        return layerLinks(name) + "/" + d.algorithm().id() + "/" + d.hex() + "/link";
    }

    /**
     * The directory holding a repository's manifest revisions and tags; a repository appears in the catalog
     * while it exists.
     */
    public static String manifests(String name) {
        return repository(name) + "/" + MANIFESTS_DIR;
    }

    public static String manifestRevisions(String name) {
        return manifests(name) + "/revisions";
    }

    public static String manifestRevisionDir(String name, Digest d) {
        return manifestRevisions(name) + "/" + d.algorithm().id() + "/" + d.hex();
    }

    public static String manifestRevision(String name, Digest d) {
        return manifestRevisionDir(name, d) + "/link";
    }

    /** The marker {@code marker} ({@link #GC_INTENT} or {@link #GC_CLAIMED}) of a manifest revision. */
    public static String manifestRevisionMarker(String name, Digest d, String marker) {
        return manifestRevisionDir(name, d) + "/" + marker;
    }

    public static String tags(String name) {
        return manifests(name) + "/tags";
    }

    public static String tag(String name, String tag) {
        return tags(name) + "/" + tag;
    }

    public static String tagCurrent(String name, String tag) {
        return tag(name, tag) + "/current/link";
    }

    public static String referrers(String name, Digest subject) {
        return repository(name) + "/_referrers/" + subject.algorithm().id() + "/" + subject.hex();
    }

    public static String referrerDir(String name, Digest subject, Digest referrer) {
        return referrers(name, subject) + "/" + referrer.algorithm().id() + "/" + referrer.hex();
    }

    public static String referrer(String name, Digest subject, Digest referrer) {
        return referrerDir(name, subject, referrer) + "/link";
    }

    public static String uploads(String name) {
        return repository(name) + "/_uploads";
    }

    public static String upload(String name, String uploadId) {
        return uploads(name) + "/" + uploadId;
    }

    public static String uploadData(String name, String uploadId) {
        return upload(name, uploadId) + "/data";
    }

    public static String uploadStartedAt(String name, String uploadId) {
        return upload(name, uploadId) + "/startedat";
    }

    public static String uploadHashStates(String name, String uploadId, DigestAlgorithm alg) {
        return upload(name, uploadId) + "/hashstates/" + alg.id();
    }

    public static String uploadHashState(String name, String uploadId, DigestAlgorithm alg, long offset) {
        return uploadHashStates(name, uploadId, alg) + "/" + offset;
    }
}
