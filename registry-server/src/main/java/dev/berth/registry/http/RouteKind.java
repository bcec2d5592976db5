package dev.berth.registry.http;

/** The endpoints of the distribution API, as the spec's table names them. */
public enum RouteKind {
    /** {@code /v2/} */
    BASE,
    /** {@code /v2/_catalog} */
    CATALOG,
    /** {@code /v2/<name>/tags/list} */
    TAGS,
    /** {@code /v2/<name>/manifests/<reference>} */
    MANIFEST,
    /** {@code /v2/<name>/blobs/<digest>} */
    BLOB,
    /** {@code /v2/<name>/blobs/uploads/} */
    UPLOADS,
    /** {@code /v2/<name>/blobs/uploads/<id>} */
    UPLOAD,
    /** {@code /v2/<name>/referrers/<digest>} */
    REFERRERS
}
