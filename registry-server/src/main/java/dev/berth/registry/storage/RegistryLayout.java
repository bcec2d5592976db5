package dev.berth.registry.storage;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;

/**
 * The one drawing of Berth's storage tree; every storage path is built here.
 *
 * <pre>
 * /v2
 *   blobs/&lt;alg&gt;/&lt;hex[0:2]&gt;/&lt;hex&gt;/data                  content-addressed bytes (blobs and manifests)
 *   repositories/&lt;name&gt;/                                 name may contain '/'
 *     _layers/&lt;alg&gt;/&lt;hex&gt;/link                         grants the repository access to a blob
 *     _manifests/revisions/&lt;alg&gt;/&lt;hex&gt;/link            a manifest in this repository
 *     _manifests/tags/&lt;tag&gt;/current/link                   tag -&gt; manifest digest
 *     _referrers/&lt;alg&gt;/&lt;hex&gt;/&lt;ralg&gt;/&lt;rhex&gt;/link      referrer (descriptor JSON) of subject alg:hex
 *     _uploads/&lt;id&gt;/data                                  bytes of an upload in progress
 *     _uploads/&lt;id&gt;/startedat                             session metadata
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

    private RegistryLayout() {
    }

    public static String blobDir(Digest d) {
        return BLOBS + "/" + d.algorithm().id() + "/" + d.hex().substring(0, 2) + "/" + d.hex();
    }

    public static String blobData(Digest d) {
        return blobDir(d) + "/data";
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

    public static String manifestRevisions(String name) {
        return repository(name) + "/_manifests/revisions";
    }

    public static String manifestRevision(String name, Digest d) {
        return manifestRevisions(name) + "/" + d.algorithm().id() + "/" + d.hex() + "/link";
    }

    public static String tags(String name) {
        return repository(name) + "/_manifests/tags";
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

    public static String referrer(String name, Digest subject, Digest referrer) {
        return referrers(name, subject) + "/" + referrer.algorithm().id() + "/" + referrer.hex() + "/link";
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
