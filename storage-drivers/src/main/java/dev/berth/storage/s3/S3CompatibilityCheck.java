package dev.berth.storage.s3;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The one start-up probe of an S3 bucket: it checks once for every guarantee {@link S3Driver} relies on, and
 * refuses (with {@link S3CompatibilityException}) a server that lacks one: above all one that silently ignores conditional
 * writes, on which two replicas could both continue one upload and corrupt it. Each capability is tried for real
 * under a probe key in the driver's hidden namespace ({@code <root>/~berth/probe/<uuid>-...}), logged in one line,
 * and the probe objects are deleted again ({@link #checkBucket} runs the first step alone):
 * <ol>
 *   <li>the credentials are accepted and the bucket exists (HEAD bucket);</li>
 *   <li>an empty object can be written, the way the driver writes upload sessions;</li>
 *   <li>{@code If-None-Match: *} refuses to overwrite it;</li>
 *   <li>{@code If-Match} with its current ETag is accepted, and with a stale one refused;</li>
 *   <li>a multipart upload can be created, listed and completed;</li>
 *   <li>a batch delete (DeleteObjects) removes both probe objects.</li>
 * </ol>
 */
public final class S3CompatibilityCheck {
    private static final Logger log = LoggerFactory.getLogger(S3CompatibilityCheck.class);
    private static final String WHERE = "/";
    private static final String SKIP =
            "If you know better, berth.storage.s3.compatibility-check=false skips this check.";

    private final S3Driver driver;
    private final S3Client s3;
    private final String bucket;
    private final String objectKey;
    private final String multipartKey;
    private String uploadId;
    /** Whether a probe object may exist (nothing to clean up when the bucket could not even be reached). */
    private boolean wrote;

    private S3CompatibilityCheck(S3Driver driver) {
        this.driver = driver;
        this.s3 = driver.client();
        this.bucket = driver.config().bucket();
        String id = UUID.randomUUID().toString();
        this.objectKey = driver.layout().probeKey(id + "-object");
        this.multipartKey = driver.layout().probeKey(id + "-multipart");
    }

    /** The first probe's capability: the one a typo in the bucket, region or credentials fails. */
    public static final String BUCKET = "credentials and bucket";

    /** Probes the driver's bucket; throws {@link S3CompatibilityException} naming the first missing capability. */
    public static void run(S3Driver driver) {
        new S3CompatibilityCheck(driver).run();
    }

    /**
     * Only the first probe (credentials and bucket), for when the full check is switched off: throws
     * {@link S3CompatibilityException} when the server refuses them, and returns false (logging why) when it does
     * not answer at all, so that a registry can start and report not ready until S3 answers.
     */
    public static boolean checkBucket(S3Driver driver) {
        try {
            new S3CompatibilityCheck(driver).bucket();
            return true;
        } catch (S3CompatibilityException e) {
            if (serverAnswer(e) != null) {
                throw e;
            }
            log.warn("S3 does not answer at start-up ({}); starting anyway, not ready until it does", e.answer());
            return false;
        }
    }

    /** The S3 error in a failure's causes, or null when the server never answered. */
    public static S3Exception serverAnswer(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof S3Exception s3) {
                return s3;
            }
        }
        return null;
    }

    private void bucket() {
        check(
                BUCKET,
                "a HEAD of bucket '" + bucket + "' to succeed",
                "Nothing can be stored: check berth.storage.s3.endpoint, .bucket (it must exist), .region and the credentials.",
                () -> {
                    s3.headBucket(b -> b.bucket(bucket));
                    return "bucket '" + bucket + "' is reachable";
                });
    }

    private void run() {
        try {
            bucket();
            String[] eTag = new String[1];
            check(
                    "empty object write",
                    "a zero-byte PUT to succeed",
                    "Every upload starts as an empty session object, so no push could succeed.",
                    () -> {
                        wrote = true;
                        eTag[0] = driver.bucket()
                                .put(WHERE, objectKey, new byte[0], 0, S3Bucket.OCTET_STREAM, Map.of(), false);
                        return "stored, ETag " + eTag[0];
                    });
            check(
                    "If-None-Match: * refuses an overwrite",
                    "412 Precondition Failed for a PUT with If-None-Match: * on an existing object",
                    "Replicas take an unfinished upload with such a conditional create; a server that ignores it lets two"
                            + " replicas continue the same upload and corrupt it.",
                    () -> {
                        try {
                            String overwritten = s3.putObject(
                                            b -> b.bucket(bucket).key(objectKey).ifNoneMatch("*"),
                                            RequestBody.fromBytes(bytes("overwrite")))
                                    .eTag();
                            throw new Refused("200 OK: the object was overwritten (new ETag " + overwritten + ")");
                        } catch (S3Exception e) {
                            if (e.statusCode() == 412 || e.statusCode() == 409) {
                                return "refused with " + answer(e);
                            }
                            throw e;
                        }
                    });
            String[] current = new String[1];
            check(
                    "If-Match on the current ETag accepts",
                    "a PUT with If-Match: " + eTag[0] + " (the object's ETag) to succeed",
                    "Replicas renew and take over upload claims with If-Match, so no upload could continue on another request.",
                    () -> {
                        current[0] = driver.bucket()
                                .putConditionally(
                                        WHERE, objectKey, bytes("renewed"), "text/plain", Map.of(), null, eTag[0]);
                        if (current[0] == null) {
                            throw new Refused("412 Precondition Failed in both ETag forms (quoted and bare)");
                        }
                        return "accepted, new ETag " + current[0];
                    });
            check(
                    "If-Match on a stale ETag refuses",
                    "412 Precondition Failed for a PUT with If-Match: " + eTag[0] + " after the object changed to "
                            + current[0],
                    "A server that ignores If-Match lets a replica that lost its claim keep writing into an upload that"
                            + " another replica took over, corrupting it.",
                    () -> {
                        String stale = driver.bucket()
                                .putConditionally(
                                        WHERE, objectKey, bytes("stale"), "text/plain", Map.of(), null, eTag[0]);
                        if (stale != null) {
                            throw new Refused("200 OK: the object was overwritten (new ETag " + stale + ")");
                        }
                        return "refused";
                    });
            check(
                    "multipart upload works",
                    "CreateMultipartUpload, UploadPart, ListParts and CompleteMultipartUpload to succeed",
                    "Blobs larger than berth.storage.s3.part-size, and every upload continued by another request, are multipart uploads.",
                    this::multipart);
            check(
                    "batch delete works",
                    "DeleteObjects of the two probe objects to delete both",
                    "Deletes and garbage collection remove objects in batches.",
                    this::batchDelete);
        } finally {
            cleanUp();
        }
    }

    private String multipart() {
        uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(multipartKey))
                .uploadId();
        byte[] body = bytes("one part");
        String partETag = s3.uploadPart(
                        b -> b.bucket(bucket)
                                .key(multipartKey)
                                .uploadId(uploadId)
                                .partNumber(1)
                                .contentLength((long) body.length),
                        RequestBody.fromBytes(body))
                .eTag();
        List<Part> parts = s3.listParts(b -> b.bucket(bucket).key(multipartKey).uploadId(uploadId))
                .parts();
        if (parts.size() != 1 || !S3Bucket.sameETag(parts.get(0).eTag(), partETag)) {
            throw new Refused("ListParts listed " + parts + " after part 1 was uploaded with ETag " + partETag);
        }
        s3.completeMultipartUpload(b -> b.bucket(bucket)
                .key(multipartKey)
                .uploadId(uploadId)
                .multipartUpload(m -> m.parts(p -> p.partNumber(1).eTag(partETag))));
        uploadId = null;
        long size = s3.headObject(b -> b.bucket(bucket).key(multipartKey)).contentLength();
        if (size != body.length) {
            throw new Refused("the completed object has " + size + " bytes instead of " + body.length);
        }
        return "completed an upload of one part";
    }

    private String batchDelete() {
        List<ObjectIdentifier> keys = List.of(
                ObjectIdentifier.builder().key(objectKey).build(),
                ObjectIdentifier.builder().key(multipartKey).build());
        DeleteObjectsResponse response = s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(keys)));
        if (response.hasErrors() && !response.errors().isEmpty()) {
            throw new Refused(response.errors().get(0).code() + " for "
                    + response.errors().get(0).key());
        }
        for (ObjectIdentifier key : keys) {
            try {
                s3.headObject(b -> b.bucket(bucket).key(key.key()));
                throw new Refused("DeleteObjects answered 200 but " + key.key() + " is still there");
            } catch (S3Exception e) {
                if (e.statusCode() != 404) {
                    throw e;
                }
            }
        }
        wrote = false;
        return "deleted both";
    }

    /** Removes whatever a failed probe left; failures here only cost a tiny leaked object. */
    private void cleanUp() {
        if (!wrote) {
            return;
        }
        try {
            if (uploadId != null) {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(multipartKey).uploadId(uploadId));
            }
            for (String key : List.of(objectKey, multipartKey)) {
                s3.deleteObject(b -> b.bucket(bucket).key(key));
            }
        } catch (SdkException e) {
            log.warn(
                    "S3 compatibility check: could not delete its probe objects {} and {}: {}",
                    objectKey,
                    multipartKey,
                    e.toString());
        }
    }

    @FunctionalInterface
    private interface Probe {
        /** Tries the capability; returns what the server answered, or throws. */
        String run() throws Exception;
    }

    /** The server answered, but not what the driver needs. */
    private static final class Refused extends RuntimeException {
        Refused(String answer) {
            super(answer, null, false, false);
        }
    }

    private void check(String capability, String expectation, String consequence, Probe probe) {
        String answer;
        try {
            answer = probe.run();
        } catch (Refused e) {
            throw refused(capability, expectation, e.getMessage(), consequence, null);
        } catch (Exception e) {
            throw refused(capability, expectation, answer(e), consequence, e);
        }
        log.info("S3 compatibility: {}: ok ({})", capability, answer);
    }

    private S3CompatibilityException refused(
            String capability, String expectation, String answer, String consequence, Throwable cause) {
        String server = driver.config().endpoint() == null
                ? "AWS S3"
                : driver.config().endpoint().toString();
        log.error("S3 compatibility: {}: FAILED ({})", capability, answer);
        return new S3CompatibilityException(
                capability,
                answer,
                "The S3 server " + server + " (bucket '" + bucket
                        + "') lacks a capability Berth's S3 driver relies on: " + capability + ". Berth expected "
                        + expectation
                        + "; the server answered: " + answer + ". " + consequence + " " + SKIP,
                cause);
    }

    /** What the server said, from the S3 error in a failure's causes, else the failure itself. */
    private static String answer(Throwable failure) {
        S3Exception s3 = serverAnswer(failure);
        if (s3 != null) {
            String code =
                    s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
            String message =
                    s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorMessage();
            return s3.statusCode()
                    + (code == null ? "" : " " + code)
                    + (message == null || message.isBlank() ? "" : " (" + message + ")");
        }
        Throwable root = failure;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root == failure ? failure.toString() : failure.getMessage() + " (" + root + ")";
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
