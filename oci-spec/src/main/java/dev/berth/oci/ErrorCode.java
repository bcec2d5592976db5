package dev.berth.oci;

import java.util.Optional;

/**
 * The error codes of the OCI distribution spec (and the few Docker registry codes clients rely on), each with
 * the HTTP status the spec gives it. Servers write them and clients parse them through this one enum.
 */
public enum ErrorCode {
    /** "blob unknown to registry": a blob was requested that the repository does not hold. */
    BLOB_UNKNOWN(404, "blob unknown to registry"),
    /** "blob upload invalid": the upload failed; the client may retry. */
    BLOB_UPLOAD_INVALID(400, "blob upload invalid"),
    /** "blob upload unknown to registry": the upload session does not exist (or expired). */
    BLOB_UPLOAD_UNKNOWN(404, "blob upload unknown to registry"),
    /** "provided digest did not match uploaded content". */
    DIGEST_INVALID(400, "provided digest did not match uploaded content"),
    /** "blob unknown to registry": a manifest references a blob or manifest the repository lacks. */
    MANIFEST_BLOB_UNKNOWN(404, "manifest references a manifest or blob unknown to registry"),
    /** "manifest invalid": the manifest failed validation. */
    MANIFEST_INVALID(400, "manifest invalid"),
    /** "manifest unknown". */
    MANIFEST_UNKNOWN(404, "manifest unknown"),
    /** "invalid repository name". */
    NAME_INVALID(400, "invalid repository name"),
    /** "repository name not known to registry". */
    NAME_UNKNOWN(404, "repository name not known to registry"),
    /** "provided length did not match content length". */
    SIZE_INVALID(400, "provided length did not match content length"),
    /** "authentication required". */
    UNAUTHORIZED(401, "authentication required"),
    /** "requested access to the resource is denied". */
    DENIED(403, "requested access to the resource is denied"),
    /** "the operation is unsupported". */
    UNSUPPORTED(405, "the operation is unsupported"),
    /** "too many requests". */
    TOOMANYREQUESTS(429, "too many requests"),
    /** Docker registry: the tag is not valid. */
    TAG_INVALID(400, "manifest tag did not match URI"),
    /** Docker registry: a Content-Range or Range the server cannot satisfy. */
    RANGE_INVALID(416, "requested range not satisfiable"),
    /** Docker registry: pagination parameters are malformed. */
    PAGINATION_NUMBER_INVALID(400, "invalid number of results requested"),
    /** Docker registry: the request or body is larger than allowed. */
    SIZE_EXCEEDED(413, "content exceeds the size limit"),
    /** Docker registry: the service or its storage is temporarily unavailable. */
    UNAVAILABLE(503, "service unavailable"),
    /** Docker registry: anything else; never used for bad input. */
    UNKNOWN(500, "unknown error");

    private final int status;
    private final String message;

    ErrorCode(int status, String message) {
        this.status = status;
        this.message = message;
    }

    public int status() {
        return status;
    }

    public String message() {
        return message;
    }

    /** The enum constant for a code string from a response body. */
    public static Optional<ErrorCode> fromCode(String code) {
        try {
            return Optional.of(valueOf(code));
        } catch (IllegalArgumentException | NullPointerException e) {
            return Optional.empty();
        }
    }
}
