package dev.berth.registry.http;

import dev.berth.oci.Digest;
import dev.berth.oci.ErrorCode;
import dev.berth.oci.InvalidDigestException;
import dev.berth.oci.Names;
import java.util.regex.Pattern;
import org.springframework.http.HttpMethod;

/**
 * A parsed {@code /v2/...} path. Repository names contain '/', so path patterns cannot split them from the
 * endpoint; instead the endpoint suffix is matched from the right and what precedes it is the name, which is
 * then validated against the spec's grammar. Nothing unvalidated leaves this class.
 *
 * @param reference for {@link RouteKind#MANIFEST}: a tag or digest string (validated)
 * @param digest    for {@link RouteKind#BLOB}, {@link RouteKind#REFERRERS}, and MANIFEST by digest
 * @param uploadId  for {@link RouteKind#UPLOAD}
 */
public record RegistryRoute(RouteKind kind, String name, String reference, Digest digest, String uploadId) {
    private static final Pattern UPLOAD_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");

    /** Parses a request path; throws {@link RegistryException} for paths that are not part of the API. */
    public static RegistryRoute parse(String path) {
        if (path.equals("/v2") || path.equals("/v2/")) {
            return new RegistryRoute(RouteKind.BASE, null, null, null, null);
        }
        if (!path.startsWith("/v2/")) {
            throw notFound(path);
        }
        String rest = path.substring(4);
        if (rest.equals("_catalog")) {
            return new RegistryRoute(RouteKind.CATALOG, null, null, null, null);
        }
        if (rest.endsWith("/tags/list")) {
            return new RegistryRoute(RouteKind.TAGS, name(rest, "/tags/list".length()), null, null, null);
        }
        if (rest.endsWith("/blobs/uploads") || rest.endsWith("/blobs/uploads/")) {
            int suffix = rest.endsWith("/") ? "/blobs/uploads/".length() : "/blobs/uploads".length();
            return new RegistryRoute(RouteKind.UPLOADS, name(rest, suffix), null, null, null);
        }
        int slash = rest.lastIndexOf('/');
        if (slash <= 0) {
            throw notFound(path);
        }
        String last = rest.substring(slash + 1);
        String head = rest.substring(0, slash);
        if (head.endsWith("/blobs/uploads")) {
            if (!UPLOAD_ID.matcher(last).matches()) {
                throw new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, null, last);
            }
            return new RegistryRoute(RouteKind.UPLOAD, name(head, "/blobs/uploads".length()), null, null, last);
        }
        if (head.endsWith("/blobs")) {
            return new RegistryRoute(RouteKind.BLOB, name(head, "/blobs".length()), null, digest(last), null);
        }
        if (head.endsWith("/referrers")) {
            return new RegistryRoute(RouteKind.REFERRERS, name(head, "/referrers".length()), null, digest(last), null);
        }
        if (head.endsWith("/manifests")) {
            String name = name(head, "/manifests".length());
            if (last.contains(":")) {
                return new RegistryRoute(RouteKind.MANIFEST, name, last, digest(last), null);
            }
            if (!Names.isTag(last)) {
                throw new RegistryException(ErrorCode.TAG_INVALID, "invalid tag", last);
            }
            return new RegistryRoute(RouteKind.MANIFEST, name, last, null, null);
        }
        throw notFound(path);
    }

    /**
     * Like {@link #parse(String)}, knowing the request's method: a manifest reference that is no valid tag names
     * no manifest, so reads and deletes answer 404 MANIFEST_UNKNOWN (the conformance suite pulls such a name
     * and expects 404); only a PUT, which would create it, is told the tag is invalid.
     */
    public static RegistryRoute parse(String path, HttpMethod method) {
        try {
            return parse(path);
        } catch (RegistryException e) {
            if (e.code() == ErrorCode.TAG_INVALID && !HttpMethod.PUT.equals(method)) {
                throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, null, e.detail());
            }
            throw e;
        }
    }

    /** True when a manifest route names a tag rather than a digest. */
    public boolean isTag() {
        return kind == RouteKind.MANIFEST && digest == null;
    }

    private static String name(String rest, int suffixLength) {
        String name = rest.substring(0, rest.length() - suffixLength);
        if (!Names.isRepository(name)) {
            throw new RegistryException(ErrorCode.NAME_INVALID, null, name);
        }
        return name;
    }

    private static Digest digest(String value) {
        try {
            return Digest.parse(value);
        } catch (InvalidDigestException e) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, e.getMessage(), value);
        }
    }

    private static RegistryException notFound(String path) {
        return new RegistryException(ErrorCode.NAME_UNKNOWN, "no such endpoint", path).withStatus(404);
    }
}
