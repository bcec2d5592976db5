package dev.berth.storage.s3;

import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageException;
import dev.berth.storage.StoragePaths;
import dev.berth.storage.StorageUnavailableException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * The SDK plumbing under the S3 driver: one bucket's client and presigner (retries, timeouts, trust, signing
 * choices), every request the driver sends, and what S3-compatible servers need on top (see "S3-compatible
 * servers" in {@code package-info.java}). Every call translates SDK failures into the storage SPI's errors
 * ({@link S3Errors}) and speaks in keys; nothing here knows pointers, owners or sessions.
 */
final class S3Bucket implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(S3Bucket.class);

    static final String OCTET_STREAM = "application/octet-stream";
    private static final int DELETE_BATCH = 1000;

    private final S3DriverConfig config;
    private final S3Layout layout;
    private final S3Client s3;
    private final S3Presigner presigner;
    /** Whether {@code If-Match} carries ETags without their quotes (learned, see {@link #putConditionally}). */
    private volatile boolean bareIfMatch;

    S3Bucket(S3DriverConfig config, S3Layout layout) {
        this.config = config;
        this.layout = layout;
        AwsCredentialsProvider credentials = config.accessKey() != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(config.accessKey(), config.secretKey()))
                : DefaultCredentialsProvider.builder().build();
        // Throttling backs off harder than other retryable failures: retrying a SlowDown quickly only adds load.
        RetryStrategy retry = AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(config.maxRetries() + 1)
                .backoffStrategy(BackoffStrategy.exponentialDelay(config.retryBaseDelay(), config.retryMaxDelay()))
                .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(
                        min(config.retryBaseDelay().multipliedBy(5), config.retryMaxDelay()), config.retryMaxDelay()))
                .build();
        Apache5HttpClient.Builder http = Apache5HttpClient.builder()
                .connectionTimeout(config.connectTimeout())
                .socketTimeout(config.socketTimeout())
                .maxConnections(64);
        if (config.caCertificate() != null) {
            TrustManager[] trust = S3Trust.trustManagers(config.caCertificate());
            http.tlsTrustManagersProvider(() -> trust);
        }
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials)
                .forcePathStyle(config.pathStyleAccess())
                // Only the checksums S3 requires: S3-compatible servers disagree on the optional ones.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                // Every body is an in-memory buffer of known length, so over plain HTTP its payload is signed
                // whole rather than as a chunked stream (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), which Ceph RGW 16
                // refuses for empty bodies (400 XAmzContentSHA256Mismatch). Over HTTPS nothing changes.
                .serviceConfiguration(
                        S3Configuration.builder().chunkedEncodingEnabled(false).build())
                .httpClientBuilder(http)
                .overrideConfiguration(o -> o.retryStrategy(retry));
        S3Presigner.Builder presignerBuilder = S3Presigner.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder()
                        .pathStyleAccessEnabled(config.pathStyleAccess())
                        .build());
        if (config.endpoint() != null) {
            builder.endpointOverride(config.endpoint());
            presignerBuilder.endpointOverride(config.endpoint());
        }
        this.s3 = builder.build();
        this.presigner = presignerBuilder.build();
    }

    S3DriverConfig config() {
        return config;
    }

    /** The SDK client, for {@link S3CompatibilityCheck}'s probes. */
    S3Client client() {
        return s3;
    }

    // ---- every S3 call goes through call() for error translation ----

    @FunctionalInterface
    interface S3Call<T> {
        T run();
    }

    static <T> T call(String path, S3Call<T> call) throws IOException {
        try {
            return call.run();
        } catch (SdkException e) {
            throw S3Errors.translate(path, e);
        }
    }

    // ---- objects ----

    /** The object's metadata, or null when there is none (or the key lies below an object, see below). */
    HeadObjectResponse headOrNull(String path, String key) throws IOException {
        try {
            return call(path, () -> s3.headObject(b -> b.bucket(config.bucket()).key(key)));
        } catch (PathNotFoundException e) {
            return null;
        } catch (StorageUnavailableException e) {
            if (isBelowAnObject(path, key, e)) {
                return null;
            }
            throw e;
        }
    }

    /** Opens an object, from {@code range} ({@code bytes=N-}) or whole when it is null. */
    ResponseInputStream<GetObjectResponse> get(String path, String key, String range) throws IOException {
        GetObjectRequest request = GetObjectRequest.builder()
                .bucket(config.bucket())
                .key(key)
                .range(range)
                .build();
        try {
            return call(path, () -> s3.getObject(request));
        } catch (StorageUnavailableException e) {
            if (isBelowAnObject(path, key, e)) {
                throw new PathNotFoundException(path);
            }
            throw e;
        }
    }

    /** An open object as an SPI stream: failures as the SPI's errors, early close without draining. */
    static InputStream stream(String path, ResponseInputStream<?> response) {
        return new SdkStream(path, response);
    }

    /**
     * Filesystem-backed S3 servers (S3Proxy's filesystem store, for one) answer 500 rather than 404 for a key
     * below an existing object, because the object is a file where a directory would have to be. Only when a
     * visible key got a 500 do we look for such an ancestor; if there is one, the key simply does not exist.
     */
    private boolean isBelowAnObject(String path, String key, StorageUnavailableException e) {
        if (!(e.getCause() instanceof S3Exception s3e)
                || s3e.statusCode() != 500
                || layout.isHidden(key)
                || !key.startsWith(layout.base())) {
            return false;
        }
        for (String ancestor = StoragePaths.parent(layout.path(key));
                !ancestor.equals("/");
                ancestor = StoragePaths.parent(ancestor)) {
            String ancestorKey = layout.key(ancestor);
            try {
                call(path, () -> s3.headObject(b -> b.bucket(config.bucket()).key(ancestorKey)));
                return true;
            } catch (PathNotFoundException notThere) {
                // keep climbing
            } catch (IOException other) {
                return false;
            }
        }
        return false;
    }

    /**
     * Puts a small object from a buffer without copying it (the SDK re-reads the provider on retries); returns
     * its ETag. {@code content} objects get the configured storage class, bookkeeping objects the default.
     */
    String put(
            String path,
            String key,
            byte[] buffer,
            int length,
            String contentType,
            Map<String, String> metadata,
            boolean content)
            throws IOException {
        PutObjectRequest request = PutObjectRequest.builder()
                .bucket(config.bucket())
                .key(key)
                .contentType(contentType)
                .contentLength((long) length)
                .metadata(metadata)
                .serverSideEncryption(config.serverSideEncryption().headerValue())
                .ssekmsKeyId(config.kmsKeyId())
                // Bookkeeping objects are tiny; infrequent-access classes bill them at 128 KiB each.
                .storageClass(content ? config.storageClass() : null)
                .build();
        return call(path, () -> s3.putObject(request, body(buffer, length))).eTag();
    }

    private static RequestBody body(byte[] buffer, int length) {
        return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buffer, 0, length), length, OCTET_STREAM);
    }

    /** A server-side copy of a (small) plain object. */
    void copy(String path, String sourceKey, String destKey) throws IOException {
        CopyObjectRequest copy = CopyObjectRequest.builder()
                .sourceBucket(config.bucket())
                .sourceKey(sourceKey)
                .destinationBucket(config.bucket())
                .destinationKey(destKey)
                .serverSideEncryption(config.serverSideEncryption().headerValue())
                .ssekmsKeyId(config.kmsKeyId())
                .storageClass(config.storageClass())
                .build();
        call(path, () -> s3.copyObject(copy));
    }

    void delete(String path, String key) throws IOException {
        call(path, () -> s3.deleteObject(b -> b.bucket(config.bucket()).key(key)));
    }

    /** Deletes keys in batches of up to 1000 (DeleteObjects), one by one what a batch could not remove. */
    void deleteAll(String path, List<String> keys) throws IOException {
        for (int from = 0; from < keys.size(); from += DELETE_BATCH) {
            List<ObjectIdentifier> batch = keys.subList(from, Math.min(keys.size(), from + DELETE_BATCH)).stream()
                    .map(key -> ObjectIdentifier.builder().key(key).build())
                    .toList();
            DeleteObjectsResponse response = call(
                    path,
                    () -> s3.deleteObjects(b -> b.bucket(config.bucket())
                            .delete(d -> d.objects(batch).quiet(true))));
            if (response.hasErrors()) {
                // Ceph RGW refuses a key that another request writes at the same moment (UnknownError); one
                // DeleteObject, retried by the SDK like any request, settles the race as a delete would.
                for (S3Error error : response.errors()) {
                    log.debug(
                            "batch delete refused {} ({} {}); deleting it alone",
                            error.key(),
                            error.code(),
                            error.message());
                    delete(path, error.key());
                }
            }
        }
    }

    // ---- conditional writes ----

    /**
     * Writes a small object only if it does not exist ({@code ifNoneMatch = "*"}) or only if its ETag is
     * {@code ifMatch}; returns the new ETag, or null when the server refused the condition.
     *
     * <p>ETags travel in quotes ({@code "9b2c..."}), and S3 compares {@code If-Match} as RFC 9110 says; Ceph RGW
     * 16 compares the raw header with its stored ETag, which has none, and refuses the quoted form. So a refused
     * {@code If-Match} is checked with a HEAD: only if the object still has the expected ETag is the same write
     * sent once more with the ETag in the other form, still conditional (an object that changes in between is
     * refused again). The form that worked is used first from then on.
     */
    String putConditionally(
            String path,
            String key,
            byte[] body,
            String contentType,
            Map<String, String> metadata,
            String ifNoneMatch,
            String ifMatch)
            throws IOException {
        if (ifMatch == null) {
            return putConditionallyOnce(path, key, body, contentType, metadata, ifNoneMatch, null);
        }
        boolean bare = bareIfMatch;
        String eTag = putConditionallyOnce(path, key, body, contentType, metadata, null, eTagForm(ifMatch, bare));
        if (eTag != null) {
            return eTag;
        }
        HeadObjectResponse current = headOrNull(path, key);
        if (current == null || !sameETag(current.eTag(), ifMatch)) {
            return null; // really changed (or gone)
        }
        eTag = putConditionallyOnce(path, key, body, contentType, metadata, null, eTagForm(ifMatch, !bare));
        if (eTag != null && bareIfMatch == bare) {
            bareIfMatch = !bare;
            log.info(
                    "the S3 server refused If-Match with the ETag {} and accepted it {}; sending that form from now on",
                    bare ? "without quotes" : "in quotes",
                    bare ? "in quotes" : "without quotes");
        }
        return eTag;
    }

    private String putConditionallyOnce(
            String path,
            String key,
            byte[] body,
            String contentType,
            Map<String, String> metadata,
            String ifNoneMatch,
            String ifMatch)
            throws IOException {
        PutObjectRequest request = PutObjectRequest.builder()
                .bucket(config.bucket())
                .key(key)
                .contentType(contentType)
                .contentLength((long) body.length)
                .metadata(metadata)
                .ifNoneMatch(ifNoneMatch)
                .ifMatch(ifMatch)
                .serverSideEncryption(config.serverSideEncryption().headerValue())
                .ssekmsKeyId(config.kmsKeyId())
                .build();
        try {
            return s3.putObject(request, RequestBody.fromBytes(body)).eTag();
        } catch (S3Exception e) {
            // 412: the condition failed; 409 ConditionalRequestConflict: S3 lost a race between two such writes;
            // 404 on If-Match: the object is gone altogether (a claim taken over and released).
            if (e.statusCode() == 412 || e.statusCode() == 409 || (ifMatch != null && e.statusCode() == 404)) {
                return null;
            }
            throw S3Errors.translate(path, e);
        } catch (SdkException e) {
            throw S3Errors.translate(path, e);
        }
    }

    /** An ETag as the server returned it (normally quoted), in quotes or bare. */
    static String eTagForm(String eTag, boolean bare) {
        String plain = unquote(eTag);
        return bare ? plain : "\"" + plain + "\"";
    }

    static boolean sameETag(String a, String b) {
        return a != null && b != null && unquote(a).equals(unquote(b));
    }

    private static String unquote(String eTag) {
        String plain = eTag.startsWith("W/") ? eTag.substring(2) : eTag;
        return plain.length() >= 2 && plain.startsWith("\"") && plain.endsWith("\"")
                ? plain.substring(1, plain.length() - 1)
                : plain;
    }

    // ---- listings ----

    @FunctionalInterface
    interface PageVisitor {
        /** Returns false to stop listing. */
        boolean visit(ListObjectsV2Response page) throws IOException;
    }

    /** Lists every key under {@code prefix}, page by page. */
    void listPages(String path, String prefix, PageVisitor visitor) throws IOException {
        listPages(
                path,
                ListObjectsV2Request.builder()
                        .bucket(config.bucket())
                        .prefix(prefix)
                        .build(),
                visitor);
    }

    /** Lists the children of {@code prefix}: keys and common prefixes up to the next '/'. */
    void listChildren(String path, String prefix, PageVisitor visitor) throws IOException {
        listPages(
                path,
                ListObjectsV2Request.builder()
                        .bucket(config.bucket())
                        .prefix(prefix)
                        .delimiter("/")
                        .build(),
                visitor);
    }

    /** The first key under {@code prefix} (one request), or an empty page. */
    /** Lists the direct children below {@code prefix} from {@code startAfter} (null: from the start). */
    void listChildrenAfter(String path, String prefix, String startAfter, int maxKeys, PageVisitor visitor)
            throws IOException {
        ListObjectsV2Request.Builder request = ListObjectsV2Request.builder()
                .bucket(config.bucket())
                .prefix(prefix)
                .delimiter("/")
                .maxKeys(maxKeys);
        if (startAfter != null) {
            request.startAfter(startAfter);
        }
        listPages(path, request.build(), visitor);
    }

    ListObjectsV2Response first(String path, String prefix) throws IOException {
        return call(
                path,
                () -> s3.listObjectsV2(
                        b -> b.bucket(config.bucket()).prefix(prefix).maxKeys(1)));
    }

    /** Lists page by page (continuation tokens), so memory stays at one page whatever the tree's size. */
    private void listPages(String path, ListObjectsV2Request request, PageVisitor visitor) throws IOException {
        ListObjectsV2Request next = request;
        while (true) {
            ListObjectsV2Request current = next;
            ListObjectsV2Response page = call(path, () -> s3.listObjectsV2(current));
            if (!visitor.visit(page)
                    || !Boolean.TRUE.equals(page.isTruncated())
                    || page.nextContinuationToken() == null) {
                return;
            }
            next = request.toBuilder()
                    .continuationToken(page.nextContinuationToken())
                    .build();
        }
    }

    // ---- multipart uploads ----

    String createUpload(String path, String key) throws IOException {
        CreateMultipartUploadRequest request = CreateMultipartUploadRequest.builder()
                .bucket(config.bucket())
                .key(key)
                .contentType(OCTET_STREAM)
                .serverSideEncryption(config.serverSideEncryption().headerValue())
                .ssekmsKeyId(config.kmsKeyId())
                .storageClass(config.storageClass())
                .build();
        return call(path, () -> s3.createMultipartUpload(request)).uploadId();
    }

    CompletedPart uploadPart(String path, String key, String uploadId, int number, byte[] buffer, int length)
            throws IOException {
        UploadPartRequest request = UploadPartRequest.builder()
                .bucket(config.bucket())
                .key(key)
                .uploadId(uploadId)
                .partNumber(number)
                .contentLength((long) length)
                .build();
        String eTag =
                call(path, () -> s3.uploadPart(request, body(buffer, length))).eTag();
        return CompletedPart.builder().partNumber(number).eTag(eTag).build();
    }

    /** The parts of an upload, by part number. */
    Map<Integer, Part> listParts(String path, String key, String uploadId) throws IOException {
        Map<Integer, Part> parts = new HashMap<>();
        call(path, () -> {
            s3.listPartsPaginator(b -> b.bucket(config.bucket()).key(key).uploadId(uploadId))
                    .parts()
                    .forEach(part -> parts.put(part.partNumber(), part));
            return null;
        });
        return parts;
    }

    /** When the upload's latest part was stored, or null when it has none (or is gone). */
    Instant lastPartTime(String path, String key, String uploadId) throws IOException {
        try {
            return call(
                    path,
                    () ->
                            s3
                                    .listPartsPaginator(b ->
                                            b.bucket(config.bucket()).key(key).uploadId(uploadId))
                                    .parts()
                                    .stream()
                                    .map(Part::lastModified)
                                    .filter(Objects::nonNull)
                                    .max(Comparator.naturalOrder())
                                    .orElse(null));
        } catch (PathNotFoundException e) {
            return null;
        }
    }

    void completeUpload(String path, String key, String uploadId, List<CompletedPart> parts) throws IOException {
        call(
                path,
                () -> s3.completeMultipartUpload(b ->
                        b.bucket(config.bucket()).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts))));
    }

    /** Aborts an upload; one that is already completed, aborted or purged is fine. */
    void abortUpload(String path, String key, String uploadId) throws IOException {
        try {
            call(
                    path,
                    () -> s3.abortMultipartUpload(
                            b -> b.bucket(config.bucket()).key(key).uploadId(uploadId)));
        } catch (PathNotFoundException e) {
            // already completed, aborted or purged
        }
    }

    /** Every unfinished multipart upload under {@code prefix}. */
    List<MultipartUpload> listUploads(String path, String prefix) throws IOException {
        List<MultipartUpload> uploads = new ArrayList<>();
        call(path, () -> {
            s3.listMultipartUploadsPaginator(b -> b.bucket(config.bucket()).prefix(prefix))
                    .uploads()
                    .forEach(uploads::add);
            return null;
        });
        return uploads;
    }

    // ---- presigning ----

    URI presignGet(String path, String key, Duration lifetime) throws IOException {
        try {
            return presigner
                    .presignGetObject(b -> b.signatureDuration(lifetime)
                            .getObjectRequest(g -> g.bucket(config.bucket()).key(key)))
                    .url()
                    .toURI();
        } catch (SdkException e) {
            throw S3Errors.translate(path, e);
        } catch (URISyntaxException e) {
            throw new StorageException("presigned URL is not a URI", path, e);
        }
    }

    @Override
    public void close() {
        presigner.close();
        s3.close();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
