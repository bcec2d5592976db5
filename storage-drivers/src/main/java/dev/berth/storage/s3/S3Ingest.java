package dev.berth.storage.s3;

import dev.berth.storage.FileWriter;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The ingest side of the S3 driver, as containerd keeps its content writers apart from the store: unfinished
 * writes as multipart uploads of data objects, the sessions that let another process continue them, the claims
 * that give each to one writer at a time, and the purge of abandoned ones (see "Writers" and "Claims" in
 * {@code package-info.java}). {@link S3FileWriter} composes these steps; committed content is handed to
 * {@link S3Pointers#publish}.
 */
final class S3Ingest {
    private static final Logger log = LoggerFactory.getLogger(S3Ingest.class);

    private static final String META_SESSION_DATA = "berth-data";
    private static final String META_SESSION_UPLOAD = "berth-upload";
    private static final String META_SESSION_PARTS = "berth-parts";
    private static final String META_SESSION_SIZE = "berth-size";
    private static final String META_CLAIM_TOKEN = "berth-claim";

    private final S3Bucket bucket;
    private final S3Layout layout;
    private final S3Pointers pointers;
    private final Duration claimLease;
    private final int partSize;
    private final Clock clock;

    S3Ingest(S3Bucket bucket, S3Layout layout, S3Pointers pointers, Clock clock) {
        this.bucket = bucket;
        this.layout = layout;
        this.pointers = pointers;
        this.claimLease = bucket.config().uploadClaimLease();
        this.partSize = (int) bucket.config().partSize();
        this.clock = clock;
    }

    /** A writer of {@code path}: fresh content, or ({@code append}) the unfinished write left there. */
    FileWriter writer(String path, boolean append) throws IOException {
        return S3FileWriter.open(this, path, append);
    }

    int partSize() {
        return partSize;
    }

    static String newDataId() {
        return UUID.randomUUID().toString();
    }

    // ---- sessions ----

    /** An unfinished write as stored by {@link S3FileWriter#close()}. */
    record Session(String dataId, String uploadId, int parts, long size, byte[] tail) {}

    Session loadSession(String path) throws IOException {
        String key = layout.sessionKey(path);
        try (ResponseInputStream<GetObjectResponse> in = bucket.get(path, key, null)) {
            Map<String, String> metadata = in.response().metadata();
            byte[] tail = in.readAllBytes();
            try {
                return new Session(
                        blankToNull(metadata.get(META_SESSION_DATA)),
                        blankToNull(metadata.get(META_SESSION_UPLOAD)),
                        Integer.parseInt(metadata.getOrDefault(META_SESSION_PARTS, "0")),
                        Long.parseLong(metadata.getOrDefault(META_SESSION_SIZE, "-1")),
                        tail);
            } catch (NumberFormatException e) {
                throw new StorageException("corrupt unfinished-write session", path, e);
            }
        }
    }

    void storeSession(String path, String dataId, String uploadId, int parts, long size, byte[] tail, int tailLength)
            throws IOException {
        Map<String, String> metadata = Map.of(
                META_SESSION_DATA,
                dataId == null ? "" : dataId,
                META_SESSION_UPLOAD,
                uploadId == null ? "" : uploadId,
                META_SESSION_PARTS,
                Integer.toString(parts),
                META_SESSION_SIZE,
                Long.toString(size));
        bucket.put(path, layout.sessionKey(path), tail, tailLength, S3Bucket.OCTET_STREAM, metadata, false);
    }

    /** Aborts the upload of the session at {@code path}, if any, and deletes the session. */
    void discardSession(String path) throws IOException {
        String key = layout.sessionKey(path);
        HeadObjectResponse head = bucket.headOrNull(path, key);
        if (head != null) {
            discardSession(path, key, head);
        }
    }

    /** Discards every unfinished write at or below {@code path}, with their claims (a deleted tree's). */
    void discardSessions(String path) throws IOException {
        bucket.listPages(path, layout.sessionsPrefix(path), page -> {
            for (S3Object object : page.contents()) {
                if (layout.isSession(object.key())) {
                    HeadObjectResponse head = bucket.headOrNull(path, object.key());
                    if (head != null) {
                        discardSession(path, object.key(), head);
                    }
                } else if (layout.isClaim(object.key())) {
                    bucket.delete(path, object.key());
                }
            }
            return true;
        });
    }

    private void discardSession(String path, String key, HeadObjectResponse head) throws IOException {
        String dataId = blankToNull(head.metadata().get(META_SESSION_DATA));
        String uploadId = blankToNull(head.metadata().get(META_SESSION_UPLOAD));
        if (dataId != null && uploadId != null) {
            bucket.abortUpload(path, layout.dataKey(dataId), uploadId);
        }
        bucket.delete(path, key);
    }

    void deleteSession(String path) throws IOException {
        bucket.delete(path, layout.sessionKey(path));
    }

    // ---- data objects and their multipart uploads ----

    String createUpload(String path, String dataId) throws IOException {
        return bucket.createUpload(path, layout.dataKey(dataId));
    }

    CompletedPart uploadPart(String path, String dataId, String uploadId, int number, byte[] buffer, int length)
            throws IOException {
        return bucket.uploadPart(path, layout.dataKey(dataId), uploadId, number, buffer, length);
    }

    /** The parts of an upload, by part number. */
    Map<Integer, Part> listParts(String path, String dataId, String uploadId) throws IOException {
        return bucket.listParts(path, layout.dataKey(dataId), uploadId);
    }

    void completeUpload(String path, String dataId, String uploadId, List<CompletedPart> parts) throws IOException {
        bucket.completeUpload(path, layout.dataKey(dataId), uploadId, parts);
    }

    void abortUpload(String path, String dataId, String uploadId) throws IOException {
        bucket.abortUpload(path, layout.dataKey(dataId), uploadId);
    }

    /** Stores small writer content as its data object in one PutObject. */
    void putData(String path, String dataId, byte[] buffer, int length) throws IOException {
        bucket.put(path, layout.dataKey(dataId), buffer, length, S3Bucket.OCTET_STREAM, Map.of(), true);
    }

    /** Makes committed content visible, see {@link S3Pointers#publish}. */
    void publish(String path, Pointer pointer) throws IOException {
        pointers.publish(path, pointer);
    }

    /** Cleans up after a failed publication, see {@link S3Pointers#abandonData}. */
    boolean abandonData(String path, String dataId) {
        return pointers.abandonData(path, dataId);
    }

    // ---- claims ----

    /**
     * A writer's hold on the unfinished write of one path (see "Claims" in {@code package-info.java}). Not
     * thread-safe: it belongs to one writer.
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

    /** A writer's claim was taken over by another writer: it must stop without storing anything. */
    static final class ClaimLostException extends StorageException {
        ClaimLostException(String path) {
            super(
                    "another writer took over this unfinished write after this one paused for longer than the claim lease",
                    path);
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
            HeadObjectResponse held = bucket.headOrNull(path, key);
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
                log.info(
                        "took over the unfinished write of {} from a writer silent since {}",
                        path,
                        held.lastModified());
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
        long lease = claimLease.toNanos();
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

    /** Gives the claim up; if its lease may have run out, only after checking that it is still ours. */
    void releaseClaim(Claim claim) throws IOException {
        if (System.nanoTime() - claim.renewedNanos >= claimLease.toNanos()) {
            HeadObjectResponse head = bucket.headOrNull(claim.path, claim.key);
            if (head == null || !claim.token.equals(head.metadata().get(META_CLAIM_TOKEN))) {
                return;
            }
        }
        bucket.delete(claim.path, claim.key);
    }

    /** Writes a claim conditionally; returns its ETag, or null when the condition failed. */
    private String putClaim(String path, String key, String token, String ifNoneMatch, String ifMatch)
            throws IOException {
        return bucket.putConditionally(
                path,
                key,
                token.getBytes(StandardCharsets.US_ASCII),
                "text/plain",
                Map.of(META_CLAIM_TOKEN, token),
                ifNoneMatch,
                ifMatch);
    }

    /** Whether a claim outlived its lease, by the server's clock (its Date header) when it sent one. */
    private boolean leaseExpired(HeadObjectResponse claim) {
        Instant now = claim.sdkHttpResponse()
                .firstMatchingHeader("Date")
                .map(date -> {
                    try {
                        return ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME)
                                .toInstant();
                    } catch (DateTimeParseException e) {
                        return null;
                    }
                })
                .orElseGet(clock::instant);
        return claim.lastModified() != null
                && claim.lastModified().plus(claimLease).isBefore(now);
    }

    // ---- purge ----

    private record SessionRef(String key, Instant lastModified) {}

    /**
     * Aborts unfinished writes that nobody touched for {@code olderThan}: their multipart uploads and session
     * objects. Activity is the latest of the session's last store and the upload's last part (S3-compatible
     * servers do not all report a real upload start time, so that is only used when there are no parts).
     * Uploads of live writers stay: a writer stores a part at least every {@code partSize} bytes and its session
     * at every close. Returns how many unfinished writes were discarded.
     */
    int purgeUploads(Duration olderThan) throws IOException {
        Instant cutoff = clock.instant().minus(olderThan);
        String where = "/";
        // Sessions by the upload they name; sessions of small writes name none.
        Map<String, SessionRef> sessionsByUpload = new HashMap<>();
        List<SessionRef> orphanSessions = new ArrayList<>();
        List<String> staleClaims = new ArrayList<>();
        bucket.listPages(where, layout.sessionsPrefix(), page -> {
            for (S3Object object : page.contents()) {
                if (layout.isClaim(object.key()) && object.lastModified().isBefore(cutoff)) {
                    staleClaims.add(object.key()); // left by a writer that died
                }
                if (!layout.isSession(object.key())) {
                    continue;
                }
                HeadObjectResponse head = bucket.headOrNull(where, object.key());
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
        for (MultipartUpload upload : bucket.listUploads(where, layout.dataPrefix())) {
            SessionRef session = sessionsByUpload.remove(upload.uploadId());
            if (session != null && session.lastModified().isAfter(cutoff)) {
                continue;
            }
            Instant activity = session == null ? Instant.MIN : session.lastModified();
            Instant lastPart = bucket.lastPartTime(where, upload.key(), upload.uploadId());
            if (lastPart != null) {
                activity = max(activity, lastPart);
            } else if (upload.initiated() != null) {
                activity = max(activity, upload.initiated());
            }
            if (activity.isBefore(cutoff)) {
                bucket.abortUpload(where, upload.key(), upload.uploadId());
                if (session != null) {
                    bucket.delete(where, session.key());
                }
                purged++;
            }
        }
        // Sessions whose upload is gone (completed by a commit that crashed before cleaning up, or aborted) or
        // that never had one.
        orphanSessions.addAll(sessionsByUpload.values());
        for (SessionRef session : orphanSessions) {
            if (session.lastModified().isBefore(cutoff)) {
                bucket.delete(where, session.key());
                purged++;
            }
        }
        bucket.deleteAll(where, staleClaims);
        return purged;
    }

    private static String blankToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
