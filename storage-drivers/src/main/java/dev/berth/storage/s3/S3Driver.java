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
import dev.berth.storage.StoragePaths;
import dev.berth.storage.WalkVisitor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A {@link StorageDriver} over one S3 bucket (AWS or any S3-compatible server), with O(1) moves and resumable
 * multipart writers. This class is the store: it reads, lists, moves and deletes over pointers; writers are
 * {@code S3Ingest}'s and every request goes through {@code S3Bucket}. How pointers, ownership, sessions and
 * claims keep a crash from losing data is told in {@code package-info.java}.
 *
 * <p>Thread-safe; writers are not (one thread at a time, like a stream).
 */
public final class S3Driver
        implements StorageDriver, RedirectCapable, BatchDeleteCapable, LeftoverSweepCapable, OrderedListCapable {
    private final S3DriverConfig config;
    private final S3Layout layout;
    private final S3Bucket bucket;
    private final S3Pointers pointers;
    private final S3Ingest ingest;

    public S3Driver(S3DriverConfig config) {
        this(config, Clock.systemUTC());
    }

    /** With a clock, so tests can age uploads for {@link #purgeUploads}. */
    S3Driver(S3DriverConfig config, Clock clock) {
        this.config = config;
        this.layout = new S3Layout(config.rootPrefix());
        this.bucket = new S3Bucket(config, layout);
        this.pointers = new S3Pointers(bucket, layout);
        this.ingest = new S3Ingest(bucket, layout, pointers, clock);
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
        try (PathLocks.Held held = pointers.locks().lock(path)) {
            Pointer replaced = pointers.pointerAt(path, key);
            bucket.put(path, key, content, content.length, S3Bucket.OCTET_STREAM, Map.of(), true);
            if (replaced != null) {
                pointers.release(path, replaced.dataId());
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
            ResponseInputStream<GetObjectResponse> in = bucket.get(path, key, null);
            boolean typedPointer = Pointer.isPointer(in.response().contentType());
            if (!typedPointer
                    && !Long.valueOf(Pointer.LENGTH).equals(in.response().contentLength())) {
                return S3Bucket.stream(path, in);
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
                Pointer confirmed = pointers.pointerAt(path, key);
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
            return S3Bucket.stream(path, getData(path, pointer, null));
        }
        HeadObjectResponse head = bucket.headOrNull(path, key);
        if (head == null) {
            throw new PathNotFoundException(path);
        }
        Pointer pointer = S3Pointers.pointerOrNull(key, head);
        long size = pointer != null ? pointer.size() : head.contentLength();
        if (offset > size) {
            throw new InvalidOffsetException(path, offset);
        }
        if (offset == size) {
            return InputStream.nullInputStream();
        }
        String range = "bytes=" + offset + "-";
        if (pointer != null) {
            return S3Bucket.stream(path, getData(path, pointer, range));
        }
        ResponseInputStream<GetObjectResponse> in = bucket.get(path, key, range);
        if (Pointer.isPointer(in.response().contentType())) {
            in.abort(); // replaced by a pointer since the HEAD
            throw new ResolveAgainException(path);
        }
        return S3Bucket.stream(path, in);
    }

    private ResponseInputStream<GetObjectResponse> getData(String path, Pointer pointer, String range)
            throws IOException {
        try {
            return bucket.get(path, layout.dataKey(pointer.dataId()), range);
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
        return ingest.writer(path, append);
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        StoragePaths.check(path);
        if (!path.equals("/")) {
            String key = layout.key(path);
            HeadObjectResponse head = bucket.headOrNull(path, key);
            if (head != null) {
                Pointer pointer = S3Pointers.pointerOrNull(key, head);
                return new FileInfo(
                        path, pointer != null ? pointer.size() : head.contentLength(), head.lastModified(), false);
            }
        }
        ListObjectsV2Response page = bucket.first(path, layout.dirPrefix(path));
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
        bucket.listChildren(path, prefix, page -> {
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
        TreeSet<String> children = new TreeSet<>();
        int maxKeys = (int) Math.max(1, Math.min(1000, limit + 1L));
        bucket.listChildrenAfter(path, prefix, after == null ? null : prefix + after, maxKeys, page -> {
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

    private static void addChild(TreeSet<String> children, String dir, String name) {
        // Skips the hidden namespace, directory markers ("dir/" objects) and keys no SPI path could name.
        if (S3Pointers.isValidSegment(name)) {
            children.add(StoragePaths.child(dir, name));
        }
    }

    @Override
    public void move(String sourcePath, String destPath) throws IOException {
        StoragePaths.checkObject(sourcePath);
        StoragePaths.checkObject(destPath);
        try (PathLocks.Held held = pointers.locks().lock(sourcePath, destPath)) {
            moveLocked(sourcePath, destPath);
        }
    }

    private void moveLocked(String sourcePath, String destPath) throws IOException {
        String sourceKey = layout.key(sourcePath);
        String destKey = layout.key(destPath);
        HeadObjectResponse source = bucket.headOrNull(sourcePath, sourceKey);
        if (source == null) {
            throw new PathNotFoundException(sourcePath);
        }
        if (sourcePath.equals(destPath)) {
            return;
        }
        Pointer displaced = pointers.pointerAt(destPath, destKey);
        Pointer pointer = S3Pointers.pointerOrNull(sourceKey, source);
        if (pointer != null) {
            if (bucket.headOrNull(sourcePath, layout.dataKey(pointer.dataId())) == null) {
                // A pointer whose data is gone (e.g. a crashed move whose destination was overwritten since)
                // must not be copied anywhere: report the source as missing and drop it.
                bucket.delete(sourcePath, sourceKey);
                throw new PathNotFoundException(sourcePath);
            }
            // Order matters for crash safety, see "Ownership": owner, destination, source.
            pointers.putOwner(destPath, pointer.dataId());
            pointers.putPointer(destPath, destKey, pointer);
            bucket.delete(sourcePath, sourceKey);
        } else {
            // A plain object (putContent: small by contract) has no pointer to move; copy it server-side.
            bucket.copy(sourcePath, sourceKey, destKey);
            bucket.delete(sourcePath, sourceKey);
        }
        if (displaced != null && (pointer == null || !displaced.dataId().equals(pointer.dataId()))) {
            pointers.release(destPath, displaced.dataId());
        }
    }

    @Override
    public void delete(String path) throws IOException {
        StoragePaths.check(path);
        boolean found = false;
        if (!path.equals("/")) {
            String key = layout.key(path);
            try (PathLocks.Held held = pointers.locks().lock(path)) {
                HeadObjectResponse head = bucket.headOrNull(path, key);
                if (head != null) {
                    found = true;
                    Pointer pointer = S3Pointers.pointerOrNull(key, head);
                    bucket.delete(path, key);
                    if (pointer != null) {
                        pointers.release(path, pointer.dataId());
                    }
                }
            }
        }
        // Then the tree below, a listing page at a time: pointers first (one batch), then the data they owned.
        boolean[] below = {false};
        bucket.listPages(path, layout.dirPrefix(path), page -> {
            List<String> keys = new ArrayList<>();
            Map<String, Pointer> owned = new HashMap<>();
            for (S3Object object : page.contents()) {
                if (layout.isHidden(object.key())) {
                    continue;
                }
                keys.add(object.key());
                if (object.size() == Pointer.LENGTH) {
                    Pointer pointer = pointers.pointerAt(path, object.key());
                    if (pointer != null) {
                        owned.put(layout.path(object.key()), pointer);
                    }
                }
            }
            below[0] |= !keys.isEmpty();
            bucket.deleteAll(path, keys);
            for (Map.Entry<String, Pointer> entry : owned.entrySet()) {
                pointers.release(entry.getKey(), entry.getValue().dataId());
            }
            return true;
        });
        found |= below[0];
        // Unfinished writes below the path go too, as files being written would on a file system.
        ingest.discardSessions(path);
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
        Map<String, Pointer> owned = new LinkedHashMap<>();
        for (String path : distinct) {
            String key = layout.key(path);
            HeadObjectResponse head = bucket.headOrNull(path, key);
            if (head == null) {
                continue; // nothing there, or a directory: skipped
            }
            keys.add(key);
            Pointer pointer = S3Pointers.pointerOrNull(key, head);
            if (pointer != null) {
                owned.put(path, pointer);
            }
        }
        bucket.deleteAll(where, keys);
        List<String> data = new ArrayList<>();
        List<String> owners = new ArrayList<>();
        for (Map.Entry<String, Pointer> entry : owned.entrySet()) {
            String dataId = entry.getValue().dataId();
            if (pointers.isOwner(entry.getKey(), dataId)) {
                data.add(layout.dataKey(dataId));
                owners.add(layout.ownerKey(dataId));
            }
        }
        bucket.deleteAll(where, data);
        bucket.deleteAll(where, owners);
        return keys.size();
    }

    @Override
    public void walk(String path, WalkVisitor visitor) throws IOException {
        StoragePaths.check(path);
        // One flat listing: S3 returns keys in byte order, which for these ASCII paths is the lexical order of
        // full paths, and every directory's objects come out contiguously (depth first).
        boolean[] found = {false};
        bucket.listPages(path, layout.dirPrefix(path), page -> {
            for (S3Object object : page.contents()) {
                if (layout.isHidden(object.key())) {
                    return false; // '~' sorts last: nothing visible follows
                }
                String objectPath = layout.path(object.key());
                if (!S3Pointers.isValidPath(objectPath)) {
                    continue;
                }
                found[0] = true;
                long size = object.size();
                if (size == Pointer.LENGTH) {
                    // Only pointer-sized objects can be pointers; ask for the logical size.
                    Pointer pointer = pointers.pointerAt(objectPath, object.key());
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
        Duration lifetime = validity == null || validity.compareTo(config.redirectValidity()) < 0
                ? config.redirectValidity()
                : validity;
        if (lifetime.compareTo(S3DriverConfig.MAX_PRESIGN_VALIDITY) > 0) {
            return Optional.empty(); // SigV4 cannot sign that long; the caller serves the bytes itself
        }
        String key = layout.key(path);
        HeadObjectResponse head = bucket.headOrNull(path, key);
        if (head == null) {
            throw new PathNotFoundException(path);
        }
        Pointer pointer = S3Pointers.pointerOrNull(key, head);
        return Optional.of(bucket.presignGet(path, pointer != null ? layout.dataKey(pointer.dataId()) : key, lifetime));
    }

    /**
     * Aborts unfinished writes that nobody touched for {@code olderThan}: their multipart uploads and session
     * objects (see {@code S3Ingest}). Returns how many unfinished writes were discarded.
     */
    public int purgeUploads(Duration olderThan) throws IOException {
        return ingest.purgeUploads(olderThan);
    }

    /** Deletes data objects no pointer names, older than {@code cutoff} (see {@code S3Pointers}). */
    @Override
    public long sweepLeftovers(Instant cutoff) throws IOException {
        return pointers.sweepLeftovers(cutoff);
    }

    @Override
    public void close() {
        bucket.close();
    }

    @Override
    public String toString() {
        return "s3(" + config.bucket() + "/" + config.rootPrefix() + ")";
    }

    // ---- for S3CompatibilityCheck's probes ----

    S3Layout layout() {
        return layout;
    }

    S3Bucket bucket() {
        return bucket;
    }

    S3Client client() {
        return bucket.client();
    }
}
