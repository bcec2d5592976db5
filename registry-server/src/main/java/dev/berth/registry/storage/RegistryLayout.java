package dev.berth.registry.storage;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.oci.InvalidDigestException;
import dev.berth.oci.Names;
import java.util.Arrays;
import java.util.Optional;

/**
 * The one drawing of Berth's storage tree: every storage path is built here, and {@link #parse} reads any of
 * them back into a typed {@link StoredPath}, so no other class takes paths apart.
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
 * The filesystem driver keeps its own staging area ({@code /#staging}) beside {@code /v2}; the S3 driver its
 * hidden namespace. Neither is part of this tree. Names are validated against the spec's grammar before they
 * reach this class, and digests are typed, so no path built here can climb out of its directory.
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

    private RegistryLayout() {}

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

    /** Every referrers entry of repository {@code name}. */
    public static String referrersRoot(String name) {
        return repository(name) + "/_referrers";
    }

    public static String referrers(String name, Digest subject) {
        return referrersRoot(name) + "/" + subject.algorithm().id() + "/" + subject.hex();
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

    // ------------------------------------------------------------------------------------------ parsing

    /**
     * What {@code path} stores, or empty when it is none of the objects drawn above (a directory, a foreign or
     * malformed path, a digest of an unknown algorithm, a repository name or tag outside the spec's grammar).
     */
    public static Optional<StoredPath> parse(String path) {
        if (path.startsWith(BLOBS + "/")) {
            return segments(path, BLOBS).flatMap(RegistryLayout::blob);
        }
        if (path.startsWith(REPOSITORIES + "/")) {
            return segments(path, REPOSITORIES).flatMap(RegistryLayout::repositoryObject);
        }
        if (path.equals(gcClock()) || path.equals(gcReport())) {
            return Optional.of(new StoredPath.GcState(path.substring(GC.length() + 1)));
        }
        return Optional.empty();
    }

    /** True for the leaf of a repository's data directory ({@code _manifests}, ...), never a name component. */
    public static boolean isDataDirectory(String leaf) {
        return !leaf.isEmpty() && leaf.charAt(0) == DATA_DIR_PREFIX;
    }

    private static Optional<String[]> segments(String path, String below) {
        String[] s = path.substring(below.length() + 1).split("/", -1);
        return Arrays.stream(s).anyMatch(String::isEmpty) ? Optional.empty() : Optional.of(s);
    }

    /** {@code <alg>/<hex[0:2]>/<hex>/<file>}. */
    private static Optional<StoredPath> blob(String[] s) {
        if (s.length != 4 || !s[2].startsWith(s[1]) || s[1].length() != 2) {
            return Optional.empty();
        }
        Digest d = digest(s[0], s[2]);
        if (d == null) {
            return Optional.empty();
        }
        return switch (s[3]) {
            case "data" -> Optional.of(new StoredPath.BlobData(d));
            case TOUCHED, GC_INTENT, GC_CLAIMED -> Optional.of(new StoredPath.BlobMarker(d, s[3]));
            default -> Optional.empty();
        };
    }

    /** {@code <name...>/_<data dir>/<rest...>}: the name runs up to the first data directory. */
    private static Optional<StoredPath> repositoryObject(String[] s) {
        int data = 0;
        while (data < s.length && !isDataDirectory(s[data])) {
            data++;
        }
        String name = String.join("/", Arrays.copyOfRange(s, 0, data));
        if (data == 0 || data == s.length || !Names.isRepository(name)) {
            return Optional.empty();
        }
        String[] r = Arrays.copyOfRange(s, data + 1, s.length);
        return switch (s[data]) {
            case "_layers" ->
                r.length == 3 && r[2].equals("link")
                        ? digestOf(r[0], r[1]).map(d -> new StoredPath.LayerLink(name, d))
                        : Optional.empty();
            case MANIFESTS_DIR -> manifestsObject(name, r);
            case "_referrers" ->
                r.length == 5 && r[4].equals("link")
                        ? digestOf(r[0], r[1])
                                .flatMap(subject -> digestOf(r[2], r[3])
                                        .map(referrer -> new StoredPath.ReferrerLink(name, subject, referrer)))
                        : Optional.empty();
            case "_uploads" ->
                r.length >= 2
                        ? Optional.of(new StoredPath.UploadFile(
                                name, r[0], String.join("/", Arrays.copyOfRange(r, 1, r.length))))
                        : Optional.empty();
            default -> Optional.empty();
        };
    }

    private static Optional<StoredPath> manifestsObject(String name, String[] r) {
        if (r.length == 4 && r[0].equals("revisions")) {
            return digestOf(r[1], r[2]).flatMap(d -> switch (r[3]) {
                case "link" -> Optional.of(new StoredPath.RevisionLink(name, d));
                case GC_INTENT, GC_CLAIMED -> Optional.of(new StoredPath.RevisionMarker(name, d, r[3]));
                default -> Optional.empty();
            });
        }
        if (r.length == 4
                && r[0].equals("tags")
                && r[2].equals("current")
                && r[3].equals("link")
                && Names.isTag(r[1])) {
            return Optional.of(new StoredPath.TagCurrent(name, r[1]));
        }
        return Optional.empty();
    }

    private static Optional<Digest> digestOf(String algorithm, String hex) {
        return Optional.ofNullable(digest(algorithm, hex));
    }

    /** The digest that the path segments {@code <alg>/<hex>} name, or null (also for an unknown algorithm). */
    private static Digest digest(String algorithm, String hex) {
        if (DigestAlgorithm.fromId(algorithm).isEmpty()) {
            return null;
        }
        try {
            return Digest.parse(algorithm + ":" + hex);
        } catch (InvalidDigestException e) {
            return null;
        }
    }
}
