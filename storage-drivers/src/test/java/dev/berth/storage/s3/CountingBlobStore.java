package dev.berth.storage.s3;

import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiPredicate;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartCopyRequest;
import software.amazon.awssdk.services.s3.model.UploadPartCopyResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * S3Proxy's blob store seen from the server side: counts server-side copies (CopyObject and UploadPartCopy,
 * with the bytes they copy) and can answer the next requests with an injected error (e.g. 503 SlowDown), so
 * tests can check what a driver makes the server do, not what the driver claims to do.
 */
public final class CountingBlobStore extends ForwardingBlobStore {
    private final AtomicLong copies = new AtomicLong();
    private final AtomicLong copiedBytes = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private final AtomicReference<S3Exception> failure = new AtomicReference<>();
    private volatile BiPredicate<String, String> failing = (operation, key) -> true;
    private final Map<String, String> mixedGets = new ConcurrentHashMap<>();
    private volatile boolean ignoreConditions;
    private volatile boolean literalIfMatch;

    public CountingBlobStore(BlobStore delegate) {
        super(delegate);
    }

    /** Server-side copy operations served so far (CopyObject and UploadPartCopy). */
    public long copies() {
        return copies.get();
    }

    /** Bytes those copies read from their sources. */
    public long copiedBytes() {
        return copiedBytes.get();
    }

    /** Object-level operations that reached the store (a retried request counts once per attempt). */
    public long requests() {
        return requests.get();
    }

    public void resetCounters() {
        copies.set(0);
        copiedBytes.set(0);
        requests.set(0);
    }

    /** Fails the next {@code count} object-level operations with an S3 error, e.g. 503 {@code SlowDown}. */
    public void failNext(int count, int status, String code) {
        failNext(count, status, code, (operation, key) -> true);
    }

    /**
     * Like {@link #failNext(int, int, String)}, for the operations {@code which} selects by store method name
     * ({@code putBlob}, {@code getBlob}, {@code blobMetadata}, {@code completeMultipartUpload}, ...) and key.
     */
    public void failNext(int count, int status, String code, BiPredicate<String, String> which) {
        failure.set((S3Exception) S3Exception.builder()
                .statusCode(status)
                .message("injected " + status + " " + code)
                .awsErrorDetails(AwsErrorDetails.builder()
                        .errorCode(code)
                        .errorMessage("injected by test")
                        .build())
                .build());
        failing = which;
        failuresLeft.set(count);
    }

    /**
     * Makes the next GET of {@code key} answer with the headers (content type, user metadata) of
     * {@code metadataKey} and the bytes of {@code key}: what a server that reads metadata and content
     * separately (S3Proxy's own filesystem store) can return while an object is being replaced.
     */
    public void mixNextGet(String key, String metadataKey) {
        mixedGets.put(key, metadataKey);
    }

    /**
     * Makes PUTs ignore {@code If-Match} and {@code If-None-Match}, as a server without conditional writes does:
     * every conditional PUT then overwrites.
     */
    public void ignoreConditionalWrites(boolean ignore) {
        ignoreConditions = ignore;
    }

    /**
     * Makes PUTs compare {@code If-Match} with the stored ETag literally, as Ceph RGW 16 does: the quoted form S3
     * returns ETags in is then always refused, the bare form works.
     */
    public void compareIfMatchLiterally(boolean literal) {
        literalIfMatch = literal;
    }

    /** Stops injecting errors. */
    public void failNothing() {
        failuresLeft.set(0);
    }

    private void enter(String operation, String key) {
        requests.incrementAndGet();
        if (failuresLeft.get() > 0
                && failing.test(operation, key)
                && failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw failure.get();
        }
    }

    @Override
    public CopyObjectResponse copyBlob(CopyObjectRequest request) {
        enter("copyBlob", request.destinationKey());
        HeadObjectResponse source = delegate().blobMetadata(request.sourceBucket(), request.sourceKey());
        copies.incrementAndGet();
        if (source != null && source.contentLength() != null) {
            copiedBytes.addAndGet(source.contentLength());
        }
        return super.copyBlob(request);
    }

    @Override
    public boolean supportsCopyMultipartPart() {
        // Claimed so every UploadPartCopy passes through here; a store that cannot copy parts itself
        // answers "unsupported" below and S3Proxy falls back to streaming the range.
        return true;
    }

    @Override
    public UploadPartCopyResponse copyMultipartPart(MultipartUpload upload, UploadPartCopyRequest request) {
        enter("copyMultipartPart", request.destinationKey());
        copies.incrementAndGet();
        copiedBytes.addAndGet(rangeLength(request));
        if (delegate().supportsCopyMultipartPart()) {
            return delegate().copyMultipartPart(upload, request);
        }
        throw new UnsupportedOperationException("streamed by S3Proxy");
    }

    private long rangeLength(UploadPartCopyRequest request) {
        String range = request.copySourceRange();
        if (range != null && range.startsWith("bytes=")) {
            String[] bounds = range.substring("bytes=".length()).split("-");
            return Long.parseLong(bounds[1]) - Long.parseLong(bounds[0]) + 1;
        }
        HeadObjectResponse source = delegate().blobMetadata(request.sourceBucket(), request.sourceKey());
        return source == null || source.contentLength() == null ? 0 : source.contentLength();
    }

    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, InputStream input) {
        enter("putBlob", request.key());
        if (ignoreConditions) {
            request = request.toBuilder().ifMatch(null).ifNoneMatch(null).build();
        }
        if (literalIfMatch && request.ifMatch() != null && request.ifMatch().startsWith("\"")) {
            // Compared with the stored ETag, which has no quotes: never equal.
            throw (S3Exception) S3Exception.builder()
                    .statusCode(412)
                    .message("literal If-Match")
                    .awsErrorDetails(AwsErrorDetails.builder()
                            .errorCode("PreconditionFailed")
                            .build())
                    .build();
        }
        return super.putBlob(request, input);
    }

    @Override
    public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
        enter("getBlob", request.key());
        String metadataKey = mixedGets.remove(request.key());
        ResponseInputStream<GetObjectResponse> bytes = super.getBlob(request);
        if (metadataKey == null || bytes == null) {
            return bytes;
        }
        HeadObjectResponse other = delegate().blobMetadata(request.bucket(), metadataKey);
        GetObjectResponse mixed = bytes.response().toBuilder()
                .contentType(other.contentType())
                .metadata(other.metadata())
                .build();
        return new ResponseInputStream<>(mixed, AbortableInputStream.create(bytes));
    }

    @Override
    public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
        enter("blobMetadata", request.key());
        return super.blobMetadata(request);
    }

    @Override
    public ListObjectsV2Response list(ListObjectsV2Request request) {
        enter("list", request.prefix());
        return super.list(request);
    }

    @Override
    public DeleteObjectResponse removeBlob(DeleteObjectRequest request) {
        enter("removeBlob", request.key());
        return super.removeBlob(request);
    }

    @Override
    public MultipartUpload initiateMultipartUpload(CreateMultipartUploadRequest request) {
        enter("initiateMultipartUpload", request.key());
        return super.initiateMultipartUpload(request);
    }

    @Override
    public UploadPartResponse uploadMultipartPart(
            MultipartUpload upload, UploadPartRequest request, InputStream input) {
        enter("uploadMultipartPart", upload.blobName());
        return super.uploadMultipartPart(upload, request, input);
    }

    @Override
    public CompleteMultipartUploadResponse completeMultipartUpload(
            MultipartUpload upload, CompleteMultipartUploadRequest request) {
        enter("completeMultipartUpload", upload.blobName());
        return super.completeMultipartUpload(upload, request);
    }

    @Override
    public List<Part> listMultipartUpload(MultipartUpload upload) {
        enter("listMultipartUpload", upload.blobName());
        return super.listMultipartUpload(upload);
    }
}
