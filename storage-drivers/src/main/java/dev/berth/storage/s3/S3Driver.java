package dev.berth.storage.s3;

import dev.berth.storage.BatchDeleteCapable;
import dev.berth.storage.FileInfo;
import dev.berth.storage.FileWriter;
import dev.berth.storage.InvalidOffsetException;
import dev.berth.storage.LeftoverSweepCapable;
import dev.berth.storage.OrderedListCapable;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.RedirectCapable;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageException;
import dev.berth.storage.StoragePaths;
import dev.berth.storage.StorageUnavailableException;
import dev.berth.storage.WalkVisitor;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;
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
import software.amazon.awssdk.services.s3.model.CommonPrefix;
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
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * A {@link StorageDriver} over one S3 bucket (AWS or any S3-compatible server), with O(1) moves and resumable
 * multipart writers. The keys are drawn in {@code S3Layout}.
 *
 * <h2>Pointers: why {@code move} is O(1)</h2>
 * S3 has no rename; copy-then-delete costs time proportional to the object, and the registry publishes every
 * blob with a move. So content produced by {@link #writer} never lives at its logical key. Its bytes go to a
 * <em>data object</em> {@code ~berth/data/<uuid>} (the multipart upload completes there in place), and the
 * logical key receives a 128-byte <em>pointer</em> ({@code Pointer}: content type
 * {@code application/vnd.berth.pointer}, naming the uuid and the logical size). {@code move} of a pointer writes a new
 * pointer and deletes the old one: a handful of tiny requests, whatever the size, and zero bytes copied by the
 * server. Small objects from {@link #putContent} are stored directly at their key; moving one is a server-side
 * copy of a small object. Readers follow pointers; {@code stat} reads the logical size from the pointer's
 * metadata (one HEAD); {@code list}/{@code walk} never show {@code ~berth} and report logical sizes.
 *
 * <h2>Ownership: why a crash never loses data</h2>
 * Exactly one pointer <em>owns</em> a data object: the logical path written in {@code ~berth/owner/<uuid>}.
 * Deleting or overwriting a pointer deletes the data object only if the owner record names that pointer's path;
 * any other pointer to the same data is just dropped. Every multi-step operation orders its steps so that a
 * crash between any two of them leaves at worst an unreferenced data object (a leak), never a visible pointer
 * whose data was deleted:
 * <ul>
 *   <li>commit: complete the upload into {@code data/<uuid>}, write the owner record, then write the pointer
 *       (the visibility point). Before it, nothing is visible; if the pointer write fails the data and owner
 *       record are removed again.</li>
 *   <li>move: check that the data object exists (a dangling pointer is never propagated), set the owner record
 *       to the destination, write the destination pointer, delete the source pointer. A crash after the owner
 *       write leaves the source readable but no longer owning (deleting it keeps the data); a crash after the
 *       destination write leaves two pointers of which only the destination owns the data; retrying the move
 *       converges.</li>
 *   <li>delete/overwrite: remove the pointer first, then the data it owned, then the owner record.</li>
 * </ul>
 * Replacing what a path holds is read-then-write (HEAD the old pointer, write, release the old data), so
 * concurrent publishes to one path (two uploads of the same blob, say) are serialised per path inside a process
 * ({@code PathLocks}). Across replicas the last pointer written wins and no pointer ever names deleted data, but
 * a data object displaced by a racing replica that did not see it is leaked (never lost); such orphans, and the
 * leaks of a crash, are found by a mark-and-sweep over all pointers ({@link #sweepLeftovers}, which the garbage
 * collector runs).
 *
 * <h2>Writers: multipart uploads that survive the process</h2>
 * A writer buffers at most {@link S3DriverConfig#partSize()} bytes; each full buffer becomes one part of a
 * multipart upload to {@code data/<uuid>} (started lazily, so small content is one PutObject). {@code close()}
 * without commit stores a <em>session</em> object {@code ~berth/uploads/<path>/~session} whose body is the
 * buffered tail (S3 parts must be at least 5 MiB, so the tail cannot be a part yet) and whose metadata names the
 * upload id, the number of parts and the size: one atomic PUT. {@code writer(path, true)} in any process sharing
 * the bucket loads the session, lists the upload's parts (ListParts) to recover their ETags, checks that parts
 * plus tail add up to the recorded size, and continues. Parts beyond the recorded count (from a writer that died
 * before storing its session) are ignored and overwritten. {@code cancel()} aborts the upload and deletes the
 * session; {@link #purgeUploads} aborts abandoned ones.
 *
 * <h2>Claims: one writer at a time per unfinished write</h2>
 * The filesystem driver hands unfinished content to exactly one {@code writer(path, true)} by renaming it; S3 has
 * no rename, so a writer that continues a session first creates a <em>claim</em> object
 * {@code ~berth/uploads/<path>/~claim} with {@code If-None-Match: *}. The server lets exactly one such PUT win;
 * the losers get {@link PathNotFoundException}, as they would on a file system where the parked content is gone.
 * {@code close()}, {@code commit()} and {@code cancel()} delete the claim. A writer that dies keeps its claim for
 * {@link S3DriverConfig#claimLease()}: after that (judged by the claim's {@code Last-Modified} against the
 * server's {@code Date}) one claimant takes over with {@code If-Match} on the stale claim's ETag. A live writer
 * renews its claim ({@code If-Match}, so a writer that was taken over learns it and fails) while it writes, at
 * least every quarter lease, and always before it stores its session or publishes; a writer that paused for a whole
 * lease may thus lose its upload, never share it. This needs a server with conditional writes (AWS S3, MinIO,
 * S3Proxy, Ceph); on one that ignores {@code If-None-Match} two claimants could both proceed. Writers opened
 * without {@code append} start fresh content and take no claim.
 *
 * <h2>Failures</h2>
 * The SDK retries throttling (503 SlowDown and friends), 5xx and connection failures with exponential backoff
 * (longer for throttling), {@link S3DriverConfig#maxRetries()} times; what still fails becomes a
 * {@link dev.berth.storage.StorageUnavailableException} (see {@code S3Errors}). A failed commit leaves nothing
 * visible. A move that fails after writing the destination pointer but before deleting the source leaves both
 * visible; retrying it finishes the job.
 *
 * <h2>S3-compatible servers</h2>
 * Only the checksums S3 requires are sent, path-style addressing and the endpoint are configurable, and a 500
 * for a key below an existing object (filesystem-backed servers cannot have a file and a directory of one name)
 * is recognised as "not found", and a GET whose content type and body disagree (a server that reads them
 * separately can mix two versions of an object being replaced) is resolved again; plain content that merely
 * looks like a pointer stays plain, so nobody reads a blob by forging a pointer. Readers that close early abort
 * the connection instead of draining the object. Payloads are signed whole, never as chunked streams (Ceph RGW 16
 * refuses those for empty bodies); {@code If-Match} falls back to the other ETag form, quoted or bare, when the
 * server refuses one while a HEAD shows the ETag unchanged ({@link #putConditionally}); keys a batch delete could
 * not remove (RGW, for a key written at that moment) are deleted one by one. {@link S3CompatibilityCheck} probes
 * a server for all of this once at start-up.
 *
 * <p>Thread-safe; writers are not (one thread at a time, like a stream).
 */
public final class S3Driver implements StorageDriver, RedirectCapable, BatchDeleteCapable,
        LeftoverSweepCapable, OrderedListCapable {
    private static final Logger log = LoggerFactory.getLogger(S3Driver.class);

    static final String OCTET_STREAM = "application/octet-stream";
    private static final String META_SESSION_DATA = "berth-data";
    private static final String META_SESSION_UPLOAD = "berth-upload";
    private static final String META_SESSION_PARTS = "berth-parts";
    private static final String META_SESSION_SIZE = "berth-size";
    private static final String META_CLAIM_TOKEN = "berth-claim";
    private static final int DELETE_BATCH = 1000;
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._:@-]+");

    private final S3DriverConfig config;
    private final S3Layout layout;
    private final S3Client s3;
    private final S3Presigner presigner;
    private final Clock clock;
    private final PathLocks locks = new PathLocks();
    /** Whether {@code If-Match} carries ETags without their quotes (learned, see {@link #putConditionally}). */
    private volatile boolean bareIfMatch;

    public S3Driver(S3DriverConfig config) {
        this(config, Clock.systemUTC());
    }

    /** With a clock, so tests can age uploads for {@link #purgeUploads}. */
    S3Driver(S3DriverConfig config, Clock clock) {
        this.config = config;
        this.layout = new S3Layout(config.rootPrefix());
        this.clock = clock;
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
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build())
                .httpClientBuilder(http)
                .overrideConfiguration(o -> o.retryStrategy(retry));
        S3Presigner.Builder presignerBuilder = S3Presigner.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(config.pathStyleAccess()).build());
        if (config.endpoint() != null) {
            builder.endpointOverride(config.endpoint());
            presignerBuilder.endpointOverride(config.endpoint());
        }
        this.s3 = builder.build();
        this.presigner = presignerBuilder.build();
    }

    @Override
    public String name() {
        return "s3";
    }

    /** The configuration this driver was built with. */
    public S3DriverConfig config() {
        return config;
    }

    @Override
    public byte[] getContent(String path) throws IOException {
        StoragePaths.checkObject(path);
        try (InputStream in = reader(path, 0)) {
            return in.readAllBytes();
        }
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
        StoragePaths.checkObject(path);
        String key = layout.key(path);
        try (PathLocks.Held held = locks.lock(path)) {
            Pointer replaced = pointerOrNull(key, headOrNull(path, key));
            put(path, key, content, content.length, OCTET_STREAM, Map.of(), true);
            if (replaced != null) {
                release(path, replaced.dataId());
            }
        }
    }

    @Override
    public InputStream reader(String path, long offset) throws IOException {
        StoragePaths.checkObject(path);
        if (offset < 0) {
            throw new InvalidOffsetException(path, offset);
        }
        // A pointer can be replaced, and its data deleted, between reading the pointer and opening the data:
        // then the path holds a newer version, so resolve again.
        for (int attempt = 1; ; attempt++) {
            try {
                return open(path, offset);
            } catch (ResolveAgainException e) {
                if (attempt == 5) {
                    throw new PathNotFoundException(path);
                }
            }
        }
    }

    private InputStream open(String path, long offset) throws IOException {
        String key = layout.key(path);
        if (offset == 0) {
            // The common case in one round trip for plain objects: GET, and follow if it is a pointer.
            ResponseInputStream<GetObjectResponse> in = get(path, key, null);
            boolean typedPointer = Pointer.isPointer(in.response().contentType());
            if (!typedPointer && !Long.valueOf(Pointer.LENGTH).equals(in.response().contentLength())) {
                return new SdkStream(path, in);
            }
            byte[] body;
            try (in) {
                body = in.readNBytes(Pointer.LENGTH + 1);
            }
            // Type and body must agree. On S3 a GET is atomic, but a server that reads metadata and bytes
            // separately (S3Proxy's filesystem store) can mix two versions while the object is replaced.
            Pointer pointer = Pointer.parseOrNull(body);
            if (typedPointer && pointer == null) {
                throw new ResolveAgainException(path);
            }
            if (!typedPointer && pointer != null) {
                // Mixed versions, or plain content that merely looks like a pointer: the metadata decides.
                Pointer confirmed = pointerOrNull(key, headOrNull(path, key));
                if (confirmed == null) {
                    return new ByteArrayInputStream(body);
                }
                if (!confirmed.equals(pointer)) {
                    throw new ResolveAgainException(path);
                }
            }
            if (pointer == null) {
                return new ByteArrayInputStream(body);
            }
            return new SdkStream(path, getData(path, pointer, null));
        }
        HeadObjectResponse head = headOrNull(path, key);
        if (head == null) {
            throw new PathNotFoundException(path);
        }
        Pointer pointer = pointerOrNull(key, head);
        long size = pointer != null ? pointer.size() : head.contentLength();
        if (offset > size) {
            throw new InvalidOffsetException(path, offset);
        }
        if (offset == size) {
            return InputStream.nullInputStream();
        }
        String range = "bytes=" + offset + "-";
        if (pointer != null) {
            return new SdkStream(path, getData(path, pointer, range));
        }
        ResponseInputStream<GetObjectResponse> in = get(path, key, range);
        if (Pointer.isPointer(in.response().contentType())) {
            in.abort(); // replaced by a pointer since the HEAD
            throw new ResolveAgainException(path);
        }
        return new SdkStream(path, in);
    }

    private ResponseInputStream<GetObjectResponse> getData(String path, Pointer pointer, String range) throws IOException {
        try {
            return get(path, layout.dataKey(pointer.dataId()), range);
        } catch (PathNotFoundException e) {
            throw new ResolveAgainException(path);
        }
    }

    /**
     * What the path held changed while it was being opened: the pointer was replaced and its data deleted (or a
     * crash left it dangling), or the server showed metadata and bytes of two versions. Resolve again.
     */
    private static final class ResolveAgainException extends PathNotFoundException {
        ResolveAgainException(String path) {
            super(path);
        }
    }

    @Override
    public FileWriter writer(String path, boolean append) throws IOException {
        StoragePaths.checkObject(path);
        return S3FileWriter.open(this, path, append);
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        StoragePaths.check(path);
        if (!path.equals("/")) {
            String key = layout.key(path);
            HeadObjectResponse head = headOrNull(path, key);
            if (head != null) {
                Pointer pointer = pointerOrNull(key, head);
                return new FileInfo(path, pointer != null ? pointer.size() : head.contentLength(), head.lastModified(), false);
            }
        }
        ListObjectsV2Response page = call(path, () -> s3.listObjectsV2(b -> b.bucket(config.bucket())
                .prefix(layout.dirPrefix(path)).maxKeys(1)));
        // Hidden keys sort last, so if the first key is hidden nothing visible exists.
        if (page.contents().isEmpty() || layout.isHidden(page.contents().get(0).key())) {
            throw new PathNotFoundException(path);
        }
        return new FileInfo(path, 0, page.contents().get(0).lastModified(), true);
    }

    @Override
    public List<String> list(String path) throws IOException {
        StoragePaths.check(path);
        String prefix = layout.dirPrefix(path);
        TreeSet<String> children = new TreeSet<>();
        listPages(path, ListObjectsV2Request.builder().bucket(config.bucket()).prefix(prefix).delimiter("/").build(), page -> {
            for (S3Object object : page.contents()) {
                addChild(children, path, object.key().substring(prefix.length()));
            }
            for (CommonPrefix common : page.commonPrefixes()) {
                String name = common.prefix().substring(prefix.length());
                addChild(children, path, name.substring(0, name.length() - 1));
            }
            return true;
        });
        if (children.isEmpty()) {
            throw new PathNotFoundException(path);
        }
        return new ArrayList<>(children);
    }

    /**
     * One {@code ListObjectsV2} from {@code StartAfter} (a child directory named {@code after} rolls up into the
     * common prefix {@code after/}, which sorts after it, so it is dropped here).
     */
    @Override
    public List<String> listAfter(String path, String after, int limit) throws IOException {
        StoragePaths.check(path);
        String prefix = layout.dirPrefix(path);
        ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(config.bucket()).prefix(prefix)
                .delimiter("/").maxKeys((int) Math.max(1, Math.min(1000, limit + 1L)));
        if (after != null) {
            request.startAfter(prefix + after);
        }
        TreeSet<String> children = new TreeSet<>();
        listPages(path, request.build(), page -> {
            for (S3Object object : page.contents()) {
                addChild(children, path, object.key().substring(prefix.length()));
            }
            for (CommonPrefix common : page.commonPrefixes()) {
                String name = common.prefix().substring(prefix.length());
                addChild(children, path, name.substring(0, name.length() - 1));
            }
            if (after != null) {
                children.remove(StoragePaths.child(path, after));
            }
            return children.size() < limit;
        });
        if (children.isEmpty() && after == null) {
            throw new PathNotFoundException(path);
        }
        return children.stream().limit(limit).toList();
    }

    @Override
    public void move(String sourcePath, String destPath) throws IOException {
        StoragePaths.checkObject(sourcePath);
        StoragePaths.checkObject(destPath);
        try (PathLocks.Held held = locks.lock(sourcePath, destPath)) {
            moveLocked(sourcePath, destPath);
        }
    }

    private void moveLocked(String sourcePath, String destPath) throws IOException {
        String sourceKey = layout.key(sourcePath);
        String destKey = layout.key(destPath);
        HeadObjectResponse source = headOrNull(sourcePath, sourceKey);
        if (source == null) {
            throw new PathNotFoundException(sourcePath);
        }
        if (sourcePath.equals(destPath)) {
            return;
        }
        Pointer displaced = pointerOrNull(destKey, headOrNull(destPath, destKey));
        Pointer pointer = pointerOrNull(sourceKey, source);
        if (pointer != null) {
            if (headOrNull(sourcePath, layout.dataKey(pointer.dataId())) == null) {
                // A pointer whose data is gone (e.g. a crashed move whose destination was overwritten since)
                // must not be copied anywhere: report the source as missing and drop it.
                deleteKey(sourcePath, sourceKey);
                throw new PathNotFoundException(sourcePath);
            }
            // Order matters for crash safety, see the class comment: owner, destination, source.
            putOwner(destPath, pointer.dataId());
            putPointer(destPath, destKey, pointer);
            deleteKey(sourcePath, sourceKey);
        } else {
            // A plain object (putContent: small by contract) has no pointer to move; copy it server-side.
            CopyObjectRequest.Builder copy = CopyObjectRequest.builder()
                    .sourceBucket(config.bucket()).sourceKey(sourceKey)
                    .destinationBucket(config.bucket()).destinationKey(destKey)
                    .serverSideEncryption(config.serverSideEncryption().headerValue())
                    .ssekmsKeyId(config.kmsKeyId())
                    .storageClass(config.storageClass());
            call(sourcePath, () -> s3.copyObject(copy.build()));
            deleteKey(sourcePath, sourceKey);
        }
        if (displaced != null && (pointer == null || !displaced.dataId().equals(pointer.dataId()))) {
            release(destPath, displaced.dataId());
        }
    }

    @Override
    public void delete(String path) throws IOException {
        StoragePaths.check(path);
        boolean found = false;
        if (!path.equals("/")) {
            String key = layout.key(path);
            try (PathLocks.Held held = locks.lock(path)) {
                HeadObjectResponse head = headOrNull(path, key);
                if (head != null) {
                    found = true;
                    Pointer pointer = pointerOrNull(key, head);
                    deleteKey(path, key);
                    if (pointer != null) {
                        release(path, pointer.dataId());
                    }
                }
            }
        }
        // Then the tree below, a listing page at a time: pointers first (one batch), then the data they owned.
        boolean[] below = {false};
        listPages(path, ListObjectsV2Request.builder().bucket(config.bucket()).prefix(layout.dirPrefix(path)).build(), page -> {
            List<String> keys = new ArrayList<>();
            Map<String, Pointer> pointers = new HashMap<>();
            for (S3Object object : page.contents()) {
                if (layout.isHidden(object.key())) {
                    continue;
                }
                keys.add(object.key());
                if (object.size() == Pointer.LENGTH) {
                    Pointer pointer = pointerOrNull(object.key(), headOrNull(path, object.key()));
                    if (pointer != null) {
                        pointers.put(layout.path(object.key()), pointer);
                    }
                }
            }
            below[0] |= !keys.isEmpty();
            deleteKeys(path, keys);
            for (Map.Entry<String, Pointer> entry : pointers.entrySet()) {
                release(entry.getKey(), entry.getValue().dataId());
            }
            return true;
        });
        found |= below[0];
        // Unfinished writes below the path go too, as files being written would on a file system.
        discardSessions(path);
        if (!found) {
            throw new PathNotFoundException(path);
        }
    }

    /**
     * Deletes many objects with a HEAD each (to skip directories and missing paths, and to find pointers) and
     * batched DeleteObjects of up to 1000 keys: first every pointer and plain object (the visibility point), then
     * the data objects the deleted pointers owned, then their owner records, the order {@link #delete} keeps for
     * one object. Paths are not locked: like the filesystem driver's, a batch may delete an object that a
     * concurrent writer replaced after the HEAD (the replacement's data is then leaked, never left dangling).
     */
    @Override
    public int deleteMany(Collection<String> paths) throws IOException {
        List<String> distinct = new ArrayList<>(new LinkedHashSet<>(paths));
        for (String path : distinct) {
            StoragePaths.checkObject(path);
        }
        if (distinct.isEmpty()) {
            return 0;
        }
        String where = distinct.get(0);
        List<String> keys = new ArrayList<>();
        Map<String, Pointer> pointers = new LinkedHashMap<>();
        for (String path : distinct) {
            String key = layout.key(path);
            HeadObjectResponse head = headOrNull(path, key);
            if (head == null) {
                continue; // nothing there, or a directory: skipped
            }
            keys.add(key);
            Pointer pointer = pointerOrNull(key, head);
            if (pointer != null) {
                pointers.put(path, pointer);
            }
        }
        deleteKeys(where, keys);
        List<String> data = new ArrayList<>();
        List<String> owners = new ArrayList<>();
        for (Map.Entry<String, Pointer> entry : pointers.entrySet()) {
            String dataId = entry.getValue().dataId();
            if (entry.getKey().equals(ownerOrNull(entry.getKey(), dataId))) {
                data.add(layout.dataKey(dataId));
                owners.add(layout.ownerKey(dataId));
            }
        }
        deleteKeys(where, data);
        deleteKeys(where, owners);
        return keys.size();
    }

    @Override
    public void walk(String path, WalkVisitor visitor) throws IOException {
        StoragePaths.check(path);
        // One flat listing: S3 returns keys in byte order, which for these ASCII paths is the lexical order of
        // full paths, and every directory's objects come out contiguously (depth first).
        boolean[] found = {false};
        listPages(path, ListObjectsV2Request.builder().bucket(config.bucket()).prefix(layout.dirPrefix(path)).build(), page -> {
            for (S3Object object : page.contents()) {
                if (layout.isHidden(object.key())) {
                    return false; // '~' sorts last: nothing visible follows
                }
                String objectPath = layout.path(object.key());
                if (!isValidPath(objectPath)) {
                    continue;
                }
                found[0] = true;
                long size = object.size();
                if (size == Pointer.LENGTH) {
                    // Only pointer-sized objects can be pointers; ask for the logical size.
                    Pointer pointer = pointerOrNull(object.key(), headOrNull(objectPath, object.key()));
                    if (pointer != null) {
                        size = pointer.size();
                    }
                }
                if (!visitor.visit(new FileInfo(objectPath, size, object.lastModified(), false))) {
                    return false;
                }
            }
            return true;
        });
        if (!found[0]) {
            throw new PathNotFoundException(path);
        }
    }

    @Override
    public Optional<URI> redirectUrl(String path, Duration validity) throws IOException {
        StoragePaths.checkObject(path);
        if (!config.redirect()) {
            return Optional.empty();
        }
        Duration lifetime = validity == null || validity.compareTo(config.presignValidity()) < 0 ? config.presignValidity() : validity;
        if (lifetime.compareTo(S3DriverConfig.MAX_PRESIGN_VALIDITY) > 0) {
            return Optional.empty(); // SigV4 cannot sign that long; the caller serves the bytes itself
        }
        String key = layout.key(path);
        HeadObjectResponse head = headOrNull(path, key);
        if (head == null) {
            throw new PathNotFoundException(path);
        }
        Pointer pointer = pointerOrNull(key, head);
        String target = pointer != null ? layout.dataKey(pointer.dataId()) : key;
        URI url;
        try {
            url = presigner.presignGetObject(b -> b.signatureDuration(lifetime)
                    .getObjectRequest(g -> g.bucket(config.bucket()).key(target))).url().toURI();
        } catch (SdkException e) {
            throw S3Errors.translate(path, e);
        } catch (URISyntaxException e) {
            throw new StorageException("presigned URL is not a URI", path, e);
        }
        return Optional.of(url);
    }

    /**
     * Aborts unfinished writes that nobody touched for {@code olderThan}: their multipart uploads and session
     * objects. Activity is the latest of the session's last store and the upload's last part (S3-compatible
     * servers do not all report a real upload start time, so that is only used when there are no parts).
     * Uploads of live writers stay: a writer stores a part at least every {@code partSize} bytes and its session
     * at every close. Returns how many unfinished writes were discarded.
     */
    public int purgeUploads(Duration olderThan) throws IOException {
        Instant cutoff = clock.instant().minus(olderThan);
        String where = "/";
        // Sessions by the upload they name; sessions of small writes name none.
        Map<String, SessionRef> sessionsByUpload = new HashMap<>();
        List<SessionRef> orphanSessions = new ArrayList<>();
        List<String> staleClaims = new ArrayList<>();
        listPages(where, ListObjectsV2Request.builder().bucket(config.bucket()).prefix(layout.sessionsPrefix()).build(), page -> {
            for (S3Object object : page.contents()) {
                if (layout.isClaim(object.key()) && object.lastModified().isBefore(cutoff)) {
                    staleClaims.add(object.key()); // left by a writer that died
                }
                if (!layout.isSession(object.key())) {
                    continue;
                }
                HeadObjectResponse head = headOrNull(where, object.key());
                if (head == null) {
                    continue;
                }
                SessionRef ref = new SessionRef(object.key(), head.lastModified());
                String uploadId = blankToNull(head.metadata().get(META_SESSION_UPLOAD));
                if (uploadId == null) {
                    orphanSessions.add(ref);
                } else {
                    sessionsByUpload.put(uploadId, ref);
                }
            }
            return true;
        });
        int purged = 0;
        List<MultipartUpload> uploads = new ArrayList<>();
        call(where, () -> {
            s3.listMultipartUploadsPaginator(b -> b.bucket(config.bucket()).prefix(layout.dataPrefix())).uploads().forEach(uploads::add);
            return null;
        });
        for (MultipartUpload upload : uploads) {
            SessionRef session = sessionsByUpload.remove(upload.uploadId());
            if (session != null && session.lastModified().isAfter(cutoff)) {
                continue;
            }
            Instant activity = session == null ? Instant.MIN : session.lastModified();
            Instant lastPart = lastPartTime(where, upload.key(), upload.uploadId());
            if (lastPart != null) {
                activity = max(activity, lastPart);
            } else if (upload.initiated() != null) {
                activity = max(activity, upload.initiated());
            }
            if (activity.isBefore(cutoff)) {
                abortQuietly(where, upload.key(), upload.uploadId());
                if (session != null) {
                    deleteKey(where, session.key());
                }
                purged++;
            }
        }
        // Sessions whose upload is gone (completed by a commit that crashed before cleaning up, or aborted) or
        // that never had one.
        orphanSessions.addAll(sessionsByUpload.values());
        for (SessionRef session : orphanSessions) {
            if (session.lastModified().isBefore(cutoff)) {
                deleteKey(where, session.key());
                purged++;
            }
        }
        deleteKeys(where, staleClaims);
        return purged;
    }

    /**
     * Deletes data objects (and their owner records) that no pointer names and that are older than
     * {@code cutoff}: what a crash between the steps of a commit, move or delete leaks (see "Ownership"). A mark
     * over every pointer, then a sweep of the data listed before it. A data object the mark missed because a move
     * wrote its new pointer behind the listing is recognised by its owner record, which names the new path before
     * the pointer is written, and kept. Data this old is not being written or moved: commits and moves finish in
     * seconds, and the collector passes its grace period.
     */
    @Override
    public long sweepLeftovers(Instant cutoff) throws IOException {
        String where = "/";
        Set<String> candidates = new HashSet<>();
        listPages(where, ListObjectsV2Request.builder().bucket(config.bucket()).prefix(layout.dataPrefix()).build(), page -> {
            for (S3Object object : page.contents()) {
                String dataId = layout.dataId(object.key());
                if (dataId != null && object.lastModified().isBefore(cutoff)) {
                    candidates.add(dataId);
                }
            }
            return true;
        });
        if (candidates.isEmpty()) {
            return 0;
        }
        listPages(where, ListObjectsV2Request.builder().bucket(config.bucket()).prefix(layout.base()).build(), page -> {
            for (S3Object object : page.contents()) {
                if (layout.isHidden(object.key())) {
                    return false; // '~' sorts last: no pointer follows
                }
                if (object.size() == Pointer.LENGTH) {
                    Pointer pointer = pointerOrNull(object.key(), headOrNull(layout.path(object.key()), object.key()));
                    if (pointer != null) {
                        candidates.remove(pointer.dataId());
                    }
                }
            }
            return true;
        });
        long swept = 0;
        for (String dataId : candidates) {
            String owner = ownerOrNull(where, dataId);
            if (owner != null && isValidPath(owner)) {
                Pointer current = pointerOrNull(layout.key(owner), headOrNull(owner, layout.key(owner)));
                if (current != null && current.dataId().equals(dataId)) {
                    continue; // moved behind the listing
                }
            }
            log.info("s3: deleting data {} that no pointer names (owner record: {})", dataId, owner);
            deleteKey(where, layout.dataKey(dataId));
            deleteKey(where, layout.ownerKey(dataId));
            swept++;
        }
        return swept;
    }

    @Override
    public void close() {
        presigner.close();
        s3.close();
    }

    @Override
    public String toString() {
        return "s3(" + config.bucket() + "/" + config.rootPrefix() + ")";
    }

    // ---- writer support: the steps S3FileWriter composes ----

    /** An unfinished write as stored by {@link S3FileWriter#close()}. */
    record Session(String dataId, String uploadId, int parts, long size, byte[] tail) {
    }

    S3Layout layout() {
        return layout;
    }

    /** The SDK client, for {@link S3CompatibilityCheck}'s probes. */
    S3Client client() {
        return s3;
    }

    int partSize() {
        return (int) config.partSize();
    }

    static String newDataId() {
        return UUID.randomUUID().toString();
    }

    Session loadSession(String path) throws IOException {
        String key = layout.sessionKey(path);
        try (ResponseInputStream<GetObjectResponse> in = get(path, key, null)) {
            Map<String, String> metadata = in.response().metadata();
            byte[] tail = in.readAllBytes();
            try {
                return new Session(blankToNull(metadata.get(META_SESSION_DATA)), blankToNull(metadata.get(META_SESSION_UPLOAD)),
                        Integer.parseInt(metadata.getOrDefault(META_SESSION_PARTS, "0")),
                        Long.parseLong(metadata.getOrDefault(META_SESSION_SIZE, "-1")), tail);
            } catch (NumberFormatException e) {
                throw new StorageException("corrupt unfinished-write session", path, e);
            }
        }
    }

    /**
     * A writer's hold on the unfinished write of one path (see "Claims" in the class comment). Not thread-safe:
     * it belongs to one writer.
     */
    static final class Claim {
        private final String path;
        private final String key;
        private final String token;
        private String eTag;
        /** {@link System#nanoTime()} just before the last successful (re)claim was sent. */
        private long renewedNanos;

        private Claim(String path, String key, String token, String eTag, long renewedNanos) {
            this.path = path;
            this.key = key;
            this.token = token;
            this.eTag = eTag;
            this.renewedNanos = renewedNanos;
        }
    }

    /**
     * Takes the claim on the unfinished write of {@code path}, taking over one whose lease ran out. Throws
     * {@link PathNotFoundException} when another writer holds it.
     */
    Claim claim(String path) throws IOException {
        String key = layout.claimKey(path);
        String token = newDataId();
        for (int attempt = 0; attempt < 3; attempt++) {
            long before = System.nanoTime();
            String eTag = putClaim(path, key, token, "*", null);
            if (eTag != null) {
                return new Claim(path, key, token, eTag, before);
            }
            HeadObjectResponse held = headOrNull(path, key);
            if (held == null) {
                continue; // released meanwhile
            }
            if (token.equals(held.metadata().get(META_CLAIM_TOKEN))) {
                // Our own PUT landed but its response was lost, and the SDK's retry met it.
                return new Claim(path, key, token, held.eTag(), before);
            }
            if (!leaseExpired(held)) {
                break;
            }
            // Its writer died or went silent for a whole lease. Of all claimants, one wins this If-Match.
            eTag = putClaim(path, key, token, null, held.eTag());
            if (eTag != null) {
                log.info("took over the unfinished write of {} from a writer silent since {}", path, held.lastModified());
                return new Claim(path, key, token, eTag, before);
            }
        }
        throw new PathNotFoundException(path);
    }

    /**
     * Renews the claim if a quarter of its lease has passed (or always, with {@code force}), failing if another
     * writer took it over meanwhile. Called as bytes arrive and before a writer stores or publishes anything.
     */
    void keepClaim(Claim claim, boolean force) throws IOException {
        long lease = config.claimLease().toNanos();
        long age = System.nanoTime() - claim.renewedNanos;
        if (!force && age < lease / 4) {
            return;
        }
        long before = System.nanoTime();
        String eTag = putClaim(claim.path, claim.key, claim.token, null, claim.eTag);
        if (eTag == null) {
            throw new ClaimLostException(claim.path);
        }
        claim.eTag = eTag;
        claim.renewedNanos = before;
    }

    /** A writer's claim was taken over by another writer: it must stop without storing anything. */
    static final class ClaimLostException extends StorageException {
        ClaimLostException(String path) {
            super("another writer took over this unfinished write after this one paused for longer than the claim lease",
                    path);
        }
    }

    /** Gives the claim up; if its lease may have run out, only after checking that it is still ours. */
    void releaseClaim(Claim claim) throws IOException {
        if (System.nanoTime() - claim.renewedNanos >= config.claimLease().toNanos()) {
            HeadObjectResponse head = headOrNull(claim.path, claim.key);
            if (head == null || !claim.token.equals(head.metadata().get(META_CLAIM_TOKEN))) {
                return;
            }
        }
        deleteKey(claim.path, claim.key);
    }

    /** Writes a claim conditionally; returns its ETag, or null when the condition failed. */
    private String putClaim(String path, String key, String token, String ifNoneMatch, String ifMatch) throws IOException {
        return putConditionally(path, key, token.getBytes(StandardCharsets.US_ASCII), "text/plain",
                Map.of(META_CLAIM_TOKEN, token), ifNoneMatch, ifMatch);
    }

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
    String putConditionally(String path, String key, byte[] body, String contentType, Map<String, String> metadata,
            String ifNoneMatch, String ifMatch) throws IOException {
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
            log.info("the S3 server refused If-Match with the ETag {} and accepted it {}; sending that form from now on",
                    bare ? "without quotes" : "in quotes", bare ? "in quotes" : "without quotes");
        }
        return eTag;
    }

    private String putConditionallyOnce(String path, String key, byte[] body, String contentType, Map<String, String> metadata,
            String ifNoneMatch, String ifMatch) throws IOException {
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
        return plain.length() >= 2 && plain.startsWith("\"") && plain.endsWith("\"") ? plain.substring(1, plain.length() - 1) : plain;
    }

    /** Whether a claim outlived its lease, by the server's clock (its Date header) when it sent one. */
    private boolean leaseExpired(HeadObjectResponse claim) {
        Instant now = claim.sdkHttpResponse().firstMatchingHeader("Date").map(date -> {
            try {
                return ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            } catch (DateTimeParseException e) {
                return null;
            }
        }).orElseGet(clock::instant);
        return claim.lastModified() != null && claim.lastModified().plus(config.claimLease()).isBefore(now);
    }

    void storeSession(String path, String dataId, String uploadId, int parts, long size, byte[] tail, int tailLength) throws IOException {
        Map<String, String> metadata = Map.of(
                META_SESSION_DATA, dataId == null ? "" : dataId,
                META_SESSION_UPLOAD, uploadId == null ? "" : uploadId,
                META_SESSION_PARTS, Integer.toString(parts),
                META_SESSION_SIZE, Long.toString(size));
        put(path, layout.sessionKey(path), tail, tailLength, OCTET_STREAM, metadata, false);
    }

    /** Aborts the upload of the session at {@code path}, if any, and deletes the session. */
    void discardSession(String path) throws IOException {
        String key = layout.sessionKey(path);
        HeadObjectResponse head = headOrNull(path, key);
        if (head != null) {
            discardSession(path, key, head);
        }
    }

    void deleteSession(String path) throws IOException {
        deleteKey(path, layout.sessionKey(path));
    }

    String createUpload(String path, String dataId) throws IOException {
        CreateMultipartUploadRequest request = CreateMultipartUploadRequest.builder()
                .bucket(config.bucket())
                .key(layout.dataKey(dataId))
                .contentType(OCTET_STREAM)
                .serverSideEncryption(config.serverSideEncryption().headerValue())
                .ssekmsKeyId(config.kmsKeyId())
                .storageClass(config.storageClass())
                .build();
        return call(path, () -> s3.createMultipartUpload(request)).uploadId();
    }

    CompletedPart uploadPart(String path, String dataId, String uploadId, int number, byte[] buffer, int length) throws IOException {
        UploadPartRequest request = UploadPartRequest.builder()
                .bucket(config.bucket())
                .key(layout.dataKey(dataId))
                .uploadId(uploadId)
                .partNumber(number)
                .contentLength((long) length)
                .build();
        String eTag = call(path, () -> s3.uploadPart(request, body(buffer, length))).eTag();
        return CompletedPart.builder().partNumber(number).eTag(eTag).build();
    }

    /** The parts of an upload, by part number. */
    Map<Integer, Part> listParts(String path, String dataId, String uploadId) throws IOException {
        Map<Integer, Part> parts = new HashMap<>();
        call(path, () -> {
            s3.listPartsPaginator(b -> b.bucket(config.bucket()).key(layout.dataKey(dataId)).uploadId(uploadId))
                    .parts().forEach(part -> parts.put(part.partNumber(), part));
            return null;
        });
        return parts;
    }

    void completeUpload(String path, String dataId, String uploadId, List<CompletedPart> parts) throws IOException {
        call(path, () -> s3.completeMultipartUpload(b -> b.bucket(config.bucket()).key(layout.dataKey(dataId))
                .uploadId(uploadId).multipartUpload(m -> m.parts(parts))));
    }

    void abortUpload(String path, String dataId, String uploadId) throws IOException {
        abortQuietly(path, layout.dataKey(dataId), uploadId);
    }

    /** Stores small writer content as its data object in one PutObject. */
    void putData(String path, String dataId, byte[] buffer, int length) throws IOException {
        put(path, layout.dataKey(dataId), buffer, length, OCTET_STREAM, Map.of(), true);
    }

    /**
     * Makes a committed data object visible at {@code path}: owner record, then pointer (the visibility point),
     * then release of the data a replaced pointer owned.
     */
    void publish(String path, Pointer pointer) throws IOException {
        String key = layout.key(path);
        try (PathLocks.Held held = locks.lock(path)) {
            Pointer replaced = pointerOrNull(key, headOrNull(path, key));
            putOwner(path, pointer.dataId());
            putPointer(path, key, pointer);
            if (replaced != null && !replaced.dataId().equals(pointer.dataId())) {
                release(path, replaced.dataId());
            }
        }
    }

    /**
     * Cleans up after a commit whose publication failed. Returns true if the pointer turns out to be in place after
     * all (the failure was a lost response), in which case nothing is removed; otherwise removes the data object
     * and its owner record so the failed commit leaves nothing behind. If even that check fails the data is left
     * for a later purge rather than risking a visible pointer to deleted data.
     */
    boolean abandonData(String path, String dataId) {
        try {
            String key = layout.key(path);
            Pointer current = pointerOrNull(key, headOrNull(path, key));
            if (current != null && current.dataId().equals(dataId)) {
                return true;
            }
            deleteKey(path, layout.dataKey(dataId));
            deleteKey(path, layout.ownerKey(dataId));
        } catch (IOException e) {
            log.warn("could not clean up after a failed commit of {}; data {} is left behind", path, dataId, e);
        }
        return false;
    }

    // ---- pointers and ownership ----

    private void putPointer(String path, String key, Pointer pointer) throws IOException {
        byte[] body = pointer.body();
        put(path, key, body, body.length, Pointer.CONTENT_TYPE, pointer.metadata(), false);
    }

    private void putOwner(String path, String dataId) throws IOException {
        byte[] body = path.getBytes(StandardCharsets.UTF_8);
        put(path, layout.ownerKey(dataId), body, body.length, "text/plain; charset=utf-8", Map.of(), false);
    }

    /**
     * Called after the pointer at {@code path} to {@code dataId} is gone: deletes the data (then its owner
     * record) if {@code path} owned it. A data object without owner record is left alone: better a leak than a
     * deleted blob that another pointer still needs.
     */
    private void release(String path, String dataId) throws IOException {
        if (path.equals(ownerOrNull(path, dataId))) {
            deleteKey(path, layout.dataKey(dataId));
            deleteKey(path, layout.ownerKey(dataId));
        }
    }

    /** The logical path recorded as owner of {@code dataId}, or null when there is no owner record. */
    private String ownerOrNull(String path, String dataId) throws IOException {
        try (ResponseInputStream<GetObjectResponse> in = get(path, layout.ownerKey(dataId), null)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (PathNotFoundException e) {
            return null;
        }
    }

    /** The pointer an object holds, or null for a plain (or missing) object. */
    private static Pointer pointerOrNull(String key, HeadObjectResponse head) throws IOException {
        return head != null && Pointer.isPointer(head.contentType()) ? Pointer.fromMetadata(key, head.metadata()) : null;
    }

    // ---- sessions ----

    private record SessionRef(String key, Instant lastModified) {
    }

    private void discardSessions(String path) throws IOException {
        listPages(path, ListObjectsV2Request.builder().bucket(config.bucket()).prefix(layout.sessionsPrefix(path)).build(), page -> {
            for (S3Object object : page.contents()) {
                if (layout.isSession(object.key())) {
                    HeadObjectResponse head = headOrNull(path, object.key());
                    if (head != null) {
                        discardSession(path, object.key(), head);
                    }
                } else if (layout.isClaim(object.key())) {
                    deleteKey(path, object.key());
                }
            }
            return true;
        });
    }

    private void discardSession(String path, String key, HeadObjectResponse head) throws IOException {
        String dataId = blankToNull(head.metadata().get(META_SESSION_DATA));
        String uploadId = blankToNull(head.metadata().get(META_SESSION_UPLOAD));
        if (dataId != null && uploadId != null) {
            abortQuietly(path, layout.dataKey(dataId), uploadId);
        }
        deleteKey(path, key);
    }

    private Instant lastPartTime(String path, String key, String uploadId) throws IOException {
        try {
            return call(path, () -> s3.listPartsPaginator(b -> b.bucket(config.bucket()).key(key).uploadId(uploadId))
                    .parts().stream().map(Part::lastModified).filter(t -> t != null).max(Comparator.naturalOrder()).orElse(null));
        } catch (PathNotFoundException e) {
            return null;
        }
    }

    private void abortQuietly(String path, String key, String uploadId) throws IOException {
        try {
            call(path, () -> s3.abortMultipartUpload(b -> b.bucket(config.bucket()).key(key).uploadId(uploadId)));
        } catch (PathNotFoundException e) {
            // already completed, aborted or purged
        }
    }

    // ---- plumbing: every S3 call goes through call() for error translation ----

    @FunctionalInterface
    private interface S3Call<T> {
        T run();
    }

    private static <T> T call(String path, S3Call<T> call) throws IOException {
        try {
            return call.run();
        } catch (SdkException e) {
            throw S3Errors.translate(path, e);
        }
    }

    private HeadObjectResponse headOrNull(String path, String key) throws IOException {
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

    private ResponseInputStream<GetObjectResponse> get(String path, String key, String range) throws IOException {
        GetObjectRequest request = GetObjectRequest.builder().bucket(config.bucket()).key(key).range(range).build();
        try {
            return call(path, () -> s3.getObject(request));
        } catch (StorageUnavailableException e) {
            if (isBelowAnObject(path, key, e)) {
                throw new PathNotFoundException(path);
            }
            throw e;
        }
    }

    /**
     * Filesystem-backed S3 servers (S3Proxy's filesystem store, for one) answer 500 rather than 404 for a key
     * below an existing object, because the object is a file where a directory would have to be. Only when a
     * visible key got a 500 do we look for such an ancestor; if there is one, the key simply does not exist.
     */
    private boolean isBelowAnObject(String path, String key, StorageUnavailableException e) {
        if (!(e.getCause() instanceof S3Exception s3e) || s3e.statusCode() != 500 || layout.isHidden(key)
                || !key.startsWith(layout.base())) {
            return false;
        }
        for (String ancestor = StoragePaths.parent(layout.path(key)); !ancestor.equals("/"); ancestor = StoragePaths.parent(ancestor)) {
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
     * its ETag.
     */
    String put(String path, String key, byte[] buffer, int length, String contentType, Map<String, String> metadata,
            boolean content) throws IOException {
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

    private void deleteKey(String path, String key) throws IOException {
        call(path, () -> s3.deleteObject(b -> b.bucket(config.bucket()).key(key)));
    }

    private void deleteKeys(String path, List<String> keys) throws IOException {
        for (int from = 0; from < keys.size(); from += DELETE_BATCH) {
            List<ObjectIdentifier> batch = keys.subList(from, Math.min(keys.size(), from + DELETE_BATCH)).stream()
                    .map(key -> ObjectIdentifier.builder().key(key).build()).toList();
            DeleteObjectsResponse response = call(path, () -> s3.deleteObjects(b -> b.bucket(config.bucket())
                    .delete(d -> d.objects(batch).quiet(true))));
            if (response.hasErrors()) {
                // Ceph RGW refuses a key that another request writes at the same moment (UnknownError); one
                // DeleteObject, retried by the SDK like any request, settles the race as a delete would.
                for (S3Error error : response.errors()) {
                    log.debug("batch delete refused {} ({} {}); deleting it alone", error.key(), error.code(), error.message());
                    deleteKey(path, error.key());
                }
            }
        }
    }

    @FunctionalInterface
    private interface PageVisitor {
        /** Returns false to stop listing. */
        boolean visit(ListObjectsV2Response page) throws IOException;
    }

    /** Lists page by page (continuation tokens), so memory stays at one page whatever the tree's size. */
    private void listPages(String path, ListObjectsV2Request request, PageVisitor visitor) throws IOException {
        ListObjectsV2Request next = request;
        while (true) {
            ListObjectsV2Request current = next;
            ListObjectsV2Response page = call(path, () -> s3.listObjectsV2(current));
            if (!visitor.visit(page) || !Boolean.TRUE.equals(page.isTruncated()) || page.nextContinuationToken() == null) {
                return;
            }
            next = request.toBuilder().continuationToken(page.nextContinuationToken()).build();
        }
    }

    private static void addChild(TreeSet<String> children, String dir, String name) {
        // Skips the hidden namespace, directory markers ("dir/" objects) and keys no SPI path could name.
        if (isValidSegment(name)) {
            children.add(StoragePaths.child(dir, name));
        }
    }

    private static boolean isValidSegment(String name) {
        return SEGMENT.matcher(name).matches() && !name.equals(".") && !name.equals("..");
    }

    private static boolean isValidPath(String path) {
        for (String segment : path.substring(1).split("/", -1)) {
            if (!isValidSegment(segment)) {
                return false;
            }
        }
        return true;
    }

    private static String blankToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    /**
     * A response body that reports failures as the SPI's errors and, when closed before the end, aborts the
     * connection instead of draining the rest of a possibly huge object.
     */
    private static final class SdkStream extends FilterInputStream {
        private final String path;
        private final ResponseInputStream<?> response;
        private boolean eof;

        SdkStream(String path, ResponseInputStream<?> response) {
            super(response);
            this.path = path;
            this.response = response;
        }

        @Override
        public int read() throws IOException {
            try {
                int b = super.read();
                eof |= b < 0;
                return b;
            } catch (SdkException e) {
                throw S3Errors.translate(path, e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                int n = super.read(b, off, len);
                eof |= n < 0;
                return n;
            } catch (SdkException e) {
                throw S3Errors.translate(path, e);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                if (!eof) {
                    response.abort();
                }
                super.close();
            } catch (SdkException e) {
                throw S3Errors.translate(path, e);
            }
        }
    }
}
