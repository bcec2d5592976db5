package dev.berth.storage.s3;

/**
 * The one place that draws the S3 driver's keys. With root prefix {@code <root>}:
 *
 * <pre>
 * &lt;root&gt;/
 *   docker/registry/v2/...            logical objects, one key per SPI path:
 *     .../_manifests/.../link           - a plain object (putContent), its bytes are the content
 *     .../blobs/sha256/ab/abcd.../data  - or a pointer (writer commit): 128 bytes naming data/&lt;uuid&gt;
 *   ~berth/                           hidden namespace; '~' cannot appear in an SPI path, so no
 *                                     logical path can ever reach or collide with anything below
 *     data/&lt;uuid&gt;                     the bytes of one committed write (and, before that, its
 *                                     in-progress multipart upload)
 *     owner/&lt;uuid&gt;                    the logical path whose pointer owns data/&lt;uuid&gt;
 *     uploads/&lt;logical path&gt;/~session  an unfinished write of &lt;logical path&gt;: the tail bytes that
 *                                     are not yet a whole part, plus the upload id and part count
 *     uploads/&lt;logical path&gt;/~claim    present while one writer holds that unfinished write (created with
 *                                     If-None-Match: *, so exactly one claimant wins)
 *     probe/&lt;uuid&gt;-...               written and deleted again by the start-up compatibility check
 * </pre>
 *
 * <p>{@code ~} sorts after every character an SPI path may use, so in any listing of the root the hidden
 * namespace comes last. Keys below {@code uploads/} end in {@code /~session} so that a session for
 * {@code /a} and one for {@code /a/b} never need a key to be both an object and a directory (filesystem-backed
 * S3 servers cannot do that).
 */
final class S3Layout {
    /** The hidden namespace's segment: it contains '~', which {@code StoragePaths} never accepts. */
    static final String HIDDEN = "~berth";

    private static final String SESSION = "~session";
    private static final String CLAIM = "~claim";

    private final String base;

    S3Layout(String rootPrefix) {
        this.base = rootPrefix.isEmpty() ? "" : rootPrefix + "/";
    }

    /** The key prefix of the whole tree: empty or ending in '/'. */
    String base() {
        return base;
    }

    /** The key of a logical object path ({@code /a/b} becomes {@code <root>/a/b}). */
    String key(String path) {
        return base + path.substring(1);
    }

    /** The prefix of everything below a logical directory, ending in '/' (or the base for the root). */
    String dirPrefix(String path) {
        return path.equals("/") ? base : base + path.substring(1) + "/";
    }

    /** The logical path of a key below the base. */
    String path(String key) {
        return "/" + key.substring(base.length());
    }

    /** The hidden namespace's prefix. */
    String hiddenPrefix() {
        return base + HIDDEN + "/";
    }

    /** Whether a key lies in the hidden namespace. */
    boolean isHidden(String key) {
        return key.startsWith(hiddenPrefix());
    }

    String dataPrefix() {
        return hiddenPrefix() + "data/";
    }

    String dataKey(String id) {
        return dataPrefix() + id;
    }

    /** The id of a data key, or null if the key is not one. */
    String dataId(String key) {
        return key.startsWith(dataPrefix()) ? key.substring(dataPrefix().length()) : null;
    }

    String ownerKey(String id) {
        return hiddenPrefix() + "owner/" + id;
    }

    String sessionsPrefix() {
        return hiddenPrefix() + "uploads/";
    }

    /** The prefix holding the sessions of {@code path} and of every path below it. */
    String sessionsPrefix(String path) {
        return path.equals("/") ? sessionsPrefix() : sessionsPrefix() + path.substring(1) + "/";
    }

    String sessionKey(String path) {
        return sessionsPrefix(path) + SESSION;
    }

    /** The claim of the unfinished write of {@code path}: present while a writer holds it. */
    String claimKey(String path) {
        return sessionsPrefix(path) + CLAIM;
    }

    /** A key for the start-up compatibility check's objects ({@code S3CompatibilityCheck}). */
    String probeKey(String name) {
        return hiddenPrefix() + "probe/" + name;
    }

    /** Whether a key below {@link #sessionsPrefix()} is a claim. */
    boolean isClaim(String key) {
        return key.startsWith(sessionsPrefix()) && key.endsWith("/" + CLAIM);
    }

    /** Whether a key below {@link #sessionsPrefix()} is a session. */
    boolean isSession(String key) {
        return key.startsWith(sessionsPrefix()) && key.endsWith("/" + SESSION);
    }
}
