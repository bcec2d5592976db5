package dev.berth.registry.upload;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.oci.ErrorCode;
import dev.berth.registry.storage.BlobStore;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.storage.RepositoryLinks;
import dev.berth.storage.FileWriter;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upload sessions kept entirely in storage, so replicas sharing one bucket continue each other's uploads:
 *
 * <ul>
 *   <li>{@code startedat} marks the session (start time and the algorithm of its running digest);</li>
 *   <li>{@code data} is the driver's unfinished object, appended by each PATCH and published by commit;</li>
 *   <li>{@code hashstates/<alg>/<offset>}, with {@code berth.uploads.portable-digest-state}, is the running
 *       digest saved after each request, so the next request, on any replica, resumes hashing at
 *       {@code offset} without reading the data back.</li>
 * </ul>
 *
 * By default the running digest is the JDK's, several times faster (it uses the CPU's SHA instructions) but
 * not exportable: it stays in this process's memory between requests, so a request that continues an upload
 * here resumes hashing at once, and one that lands on another replica defers hashing to the final PUT.
 *
 * When no digest matches the current size (another replica, or a crash between writing bytes and saving
 * the state), hashing is deferred: the final PUT publishes the data inside the session directory and re-hashes it by reading it
 * back. The same happens when the final digest uses another algorithm than the session's running digest.
 * Either way a blob becomes visible only after its digest and size are verified, by one atomic move.
 *
 * <p>All methods block; callers on an event loop must offload them.
 */
public class UploadSessions {
    private static final Logger log = LoggerFactory.getLogger(UploadSessions.class);

    /** How long a request waits for an upload held by another request: 20 x 50 ms. */
    private static final int BUSY_RETRIES = 20;

    private static final long BUSY_WAIT_MILLIS = 50;

    private final StorageDriver driver;
    private final BlobStore blobs;
    private final RepositoryLinks links;
    private final long maxBlobSize;
    private final Clock clock;
    private final boolean portableDigests;
    /** Fast digests between the requests of an upload, keyed by session and offset; lost on restart. */
    private final Cache<String, RunningDigest> liveDigests = Caffeine.newBuilder()
            .maximumSize(10_000)
            .expireAfterAccess(Duration.ofHours(1))
            .build();

    private final List<CommitListener> listeners = new CopyOnWriteArrayList<>();

    /** Told about every upload this process commits (metrics). */
    public interface CommitListener {
        /**
         * @param size bytes of the blob
         * @param took from the session's start (possibly on another replica) to its commit
         */
        void committed(UploadSession session, long size, Duration took);
    }

    /** @param portableDigests save digest states to storage (replicas without sticky sessions) */
    public UploadSessions(
            StorageDriver driver,
            BlobStore blobs,
            RepositoryLinks links,
            long maxBlobSize,
            Clock clock,
            boolean portableDigests) {
        this.portableDigests = portableDigests;
        this.driver = driver;
        this.blobs = blobs;
        this.links = links;
        this.maxBlobSize = maxBlobSize;
        this.clock = clock;
    }

    public void addListener(CommitListener listener) {
        listeners.add(listener);
    }

    public long maxBlobSize() {
        return maxBlobSize;
    }

    /** Starts a session whose bytes are hashed with {@code algorithm} as they arrive. */
    public UploadSession create(String repository, DigestAlgorithm algorithm) throws IOException {
        UploadSession session = new UploadSession(repository, UUID.randomUUID().toString(), clock.instant(), algorithm);
        // Empty unfinished data first, the marker second: a crash in between leaves only an orphan that no
        // session refers to. Starting with data means every later request can simply append.
        driver.writer(RegistryLayout.uploadData(repository, session.id()), false)
                .close();
        driver.putContent(RegistryLayout.uploadStartedAt(repository, session.id()), session.encode());
        return session;
    }

    /** The session, if it exists. */
    public Optional<UploadSession> find(String repository, String id) throws IOException {
        try {
            byte[] stored = driver.getContent(RegistryLayout.uploadStartedAt(repository, id));
            return Optional.ofNullable(UploadSession.decode(repository, id, stored));
        } catch (PathNotFoundException e) {
            return Optional.empty();
        }
    }

    /**
     * Takes hold of the session's data for appending. Every writer opened here must end in
     * {@link #suspend}, {@link #complete} or {@link #cancel}. Only one request can hold an upload at a time
     * (the driver hands unfinished content to one writer); a request that finds it held waits briefly, since
     * the holder is usually a request that is just ending, e.g. after the client dropped the connection.
     */
    public UploadWriter open(UploadSession session) throws IOException {
        FileWriter writer = claim(session);
        try {
            return new UploadWriter(session, writer, loadDigest(session, writer.size()), maxBlobSize);
        } catch (IOException | RuntimeException e) {
            writer.close();
            throw e;
        }
    }

    private FileWriter claim(UploadSession session) throws IOException {
        String data = RegistryLayout.uploadData(session.repository(), session.id());
        for (int attempt = 0; ; attempt++) {
            try {
                return driver.writer(data, true);
            } catch (PathNotFoundException e) {
                if (find(session.repository(), session.id()).isEmpty()) {
                    throw new UploadException(ErrorCode.BLOB_UPLOAD_UNKNOWN, null, session.id());
                }
                if (attempt >= BUSY_RETRIES) {
                    throw new UploadException(
                            ErrorCode.BLOB_UPLOAD_INVALID,
                            "upload is in use by another request; retry later",
                            session.id());
                }
                sleep(BUSY_WAIT_MILLIS);
            }
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for an upload");
        }
    }

    private RunningDigest loadDigest(UploadSession session, long offset) throws IOException {
        if (offset == 0) {
            return RunningDigest.start(session.algorithm(), portableDigests);
        }
        RunningDigest live = liveDigests.asMap().remove(liveKey(session, offset));
        if (live != null) {
            return live;
        }
        if (!portableDigests) {
            log.debug("upload {}: continued away from its digest; the final PUT will re-hash", session.id());
            return null;
        }
        try {
            byte[] state = driver.getContent(
                    RegistryLayout.uploadHashState(session.repository(), session.id(), session.algorithm(), offset));
            return RunningDigest.restore(session.algorithm(), state);
        } catch (PathNotFoundException | IllegalArgumentException e) {
            log.info("upload {}: no digest state at offset {}; the final PUT will re-hash", session.id(), offset);
            return null;
        }
    }

    /**
     * Ends this request's hold, keeping the bytes for the next request, and saves the digest state for the new
     * size (when the digest still describes the stored bytes). Safe to call after a failed body: the bytes that
     * did arrive stay, and the client learns the new offset from the {@code Range} of a status request.
     */
    public void suspend(UploadWriter upload) throws IOException {
        synchronized (upload) {
            suspendHeld(upload);
        }
    }

    private void suspendHeld(UploadWriter upload) throws IOException {
        if (upload.finished()) {
            return;
        }
        upload.markFinished();
        upload.writer().close();
        RunningDigest digest = upload.digest();
        if (digest != null && upload.written() > 0) {
            UploadSession s = upload.session();
            if (digest.portable()) {
                driver.putContent(
                        RegistryLayout.uploadHashState(s.repository(), s.id(), s.algorithm(), upload.size()),
                        digest.state());
            } else {
                liveDigests.put(liveKey(s, upload.size()), digest);
            }
        } else if (digest != null) {
            liveDigests.put(liveKey(upload.session(), upload.size()), digest);
        }
    }

    private static String liveKey(UploadSession session, long offset) {
        return session.repository() + "/" + session.id() + "@" + offset;
    }

    /** Like {@link #suspend}, for cleanup paths where a second failure must not hide the first. */
    public void suspendQuietly(UploadWriter upload) {
        try {
            suspend(upload);
        } catch (IOException | RuntimeException e) {
            log.warn("upload {}: could not suspend: {}", upload.session().id(), e.toString());
        }
    }

    /** The number of bytes received so far. */
    public long size(UploadSession session) throws IOException {
        FileWriter writer = claim(session);
        long size = writer.size();
        writer.close();
        return size;
    }

    /**
     * Verifies the upload against {@code expected} and publishes it as that blob, linked into the session's
     * repository; the session is gone afterwards. A mismatch discards the session (the client starts over)
     * and throws {@link UploadException} with {@link ErrorCode#DIGEST_INVALID}.
     */
    public Digest complete(UploadWriter upload, Digest expected) throws IOException {
        synchronized (upload) {
            return completeHeld(upload, expected);
        }
    }

    private Digest completeHeld(UploadWriter upload, Digest expected) throws IOException {
        UploadSession s = upload.session();
        String data = RegistryLayout.uploadData(s.repository(), s.id());
        if (upload.finished()) {
            throw new IOException("upload request already ended");
        }
        RunningDigest running = upload.digest();
        upload.markFinished();
        Digest actual;
        if (running != null && running.algorithm() == expected.algorithm()) {
            actual = running.current();
            if (!actual.equals(expected)) {
                upload.writer().cancel();
                throw mismatch(s, expected, actual);
            }
            // A blob pushed again (the same base layer into another repository, without a mount) is the
            // common case; its verified bytes are a duplicate, so they are dropped unsynced, not published.
            if (blobs.adoptExisting(expected)) {
                upload.writer().cancel();
                return linked(s, expected, upload.size());
            }
            upload.writer().commit();
        } else {
            // The running digest cannot answer: publish inside the session directory (not a blob yet) and re-read.
            upload.writer().commit();
            actual = rehash(data, expected.algorithm());
            if (!actual.equals(expected)) {
                throw mismatch(s, expected, actual);
            }
        }
        blobs.commitFrom(data, expected);
        return linked(s, expected, upload.size());
    }

    /** The blob is stored: links it into the session's repository and ends the session. */
    private Digest linked(UploadSession s, Digest blob, long size) throws IOException {
        links.link(s.repository(), blob);
        deleteQuietly(s);
        notifyCommitted(s, size);
        return blob;
    }

    private void notifyCommitted(UploadSession session, long size) {
        Duration took = Duration.between(session.startedAt(), clock.instant());
        for (CommitListener listener : listeners) {
            try {
                listener.committed(session, size, took);
            } catch (RuntimeException e) {
                log.warn("upload {}: listener failed: {}", session.id(), e.toString());
            }
        }
    }

    private UploadException mismatch(UploadSession s, Digest expected, Digest actual) {
        deleteQuietly(s);
        return new UploadException(
                ErrorCode.DIGEST_INVALID,
                "provided digest did not match uploaded content",
                "expected " + expected + ", got " + actual);
    }

    private Digest rehash(String path, DigestAlgorithm algorithm) throws IOException {
        RunningDigest digest = RunningDigest.start(algorithm, false);
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = driver.reader(path, 0)) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
            }
        }
        return digest.current();
    }

    /** Discards the upload: the writer (if any) and everything stored for the session. */
    public void cancel(UploadWriter upload) throws IOException {
        synchronized (upload) {
            if (!upload.finished()) {
                upload.markFinished();
                upload.writer().cancel();
            }
        }
        delete(upload.session());
    }

    /** Deletes everything stored for the session; false when it did not exist. */
    public boolean delete(UploadSession session) throws IOException {
        try {
            driver.delete(RegistryLayout.upload(session.repository(), session.id()));
            return true;
        } catch (PathNotFoundException e) {
            return false;
        }
    }

    private void deleteQuietly(UploadSession s) {
        try {
            delete(s);
        } catch (IOException | RuntimeException e) {
            // Leftovers are harmless: they are not blobs, and expired sessions get purged.
            log.warn("upload {}: could not delete session files: {}", s.id(), e.toString());
        }
    }

    /**
     * Cross-mounts {@code digest} into {@code repository} without an upload, from whichever repository holds it:
     * automatic cross-mounting, for registries where everyone may read everything. Returns the mounted blob's
     * size, or empty when the blob is not stored, so the caller starts a normal upload instead.
     */
    public OptionalLong mount(String repository, Digest digest) throws IOException {
        // retain() also protects the blob from a concurrent garbage collection until the manifest PUT.
        if (!blobs.retain(digest)) {
            return OptionalLong.empty();
        }
        links.link(repository, digest);
        Optional<Long> size = blobs.size(digest);
        return size.isPresent() ? OptionalLong.of(size.get()) : OptionalLong.empty();
    }

    /**
     * Cross-mounts {@code digest} into {@code repository} only if {@code from} links it (as a blob: a manifest of
     * {@code from} is not a blob of it). Returns empty when it does not, or when the bytes are gone.
     */
    public OptionalLong mount(String repository, Digest digest, String from) throws IOException {
        if (!links.isLinked(from, digest)) {
            return OptionalLong.empty();
        }
        return mount(repository, digest);
    }
}
