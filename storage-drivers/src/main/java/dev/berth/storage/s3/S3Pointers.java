package dev.berth.storage.s3;

import dev.berth.storage.PathNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Pointers and the ownership of data objects (see "Pointers" and "Ownership" in {@code package-info.java}): the
 * store and the ingest side both publish and release data through here, so the order of steps that makes a crash
 * leak rather than lose lives in one place, as does the sweep of what crashes leaked.
 */
final class S3Pointers {
    private static final Logger log = LoggerFactory.getLogger(S3Pointers.class);
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._:@-]+");

    private final S3Bucket bucket;
    private final S3Layout layout;
    private final PathLocks locks = new PathLocks();

    S3Pointers(S3Bucket bucket, S3Layout layout) {
        this.bucket = bucket;
        this.layout = layout;
    }

    /** The in-process locks that serialise replacing what one path holds. */
    PathLocks locks() {
        return locks;
    }

    /** The pointer an object holds, or null for a plain (or missing) object. */
    static Pointer pointerOrNull(String key, HeadObjectResponse head) throws IOException {
        return head != null && Pointer.isPointer(head.contentType())
                ? Pointer.fromMetadata(key, head.metadata())
                : null;
    }

    /** The pointer at {@code key} (one HEAD), or null for a plain or missing object. */
    Pointer pointerAt(String path, String key) throws IOException {
        return pointerOrNull(key, bucket.headOrNull(path, key));
    }

    /**
     * Makes a committed data object visible at {@code path}: owner record, then pointer (the visibility point),
     * then release of the data a replaced pointer owned.
     */
    void publish(String path, Pointer pointer) throws IOException {
        String key = layout.key(path);
        try (PathLocks.Held held = locks.lock(path)) {
            Pointer replaced = pointerAt(path, key);
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
            Pointer current = pointerAt(path, layout.key(path));
            if (current != null && current.dataId().equals(dataId)) {
                return true;
            }
            bucket.delete(path, layout.dataKey(dataId));
            bucket.delete(path, layout.ownerKey(dataId));
        } catch (IOException e) {
            log.warn("could not clean up after a failed commit of {}; data {} is left behind", path, dataId, e);
        }
        return false;
    }

    void putPointer(String path, String key, Pointer pointer) throws IOException {
        byte[] body = pointer.body();
        bucket.put(path, key, body, body.length, Pointer.CONTENT_TYPE, pointer.metadata(), false);
    }

    void putOwner(String path, String dataId) throws IOException {
        byte[] body = path.getBytes(StandardCharsets.UTF_8);
        bucket.put(path, layout.ownerKey(dataId), body, body.length, "text/plain; charset=utf-8", Map.of(), false);
    }

    /**
     * Called after the pointer at {@code path} to {@code dataId} is gone: deletes the data (then its owner
     * record) if {@code path} owned it. A data object without owner record is left alone: better a leak than a
     * deleted blob that another pointer still needs.
     */
    void release(String path, String dataId) throws IOException {
        if (isOwner(path, dataId)) {
            bucket.delete(path, layout.dataKey(dataId));
            bucket.delete(path, layout.ownerKey(dataId));
        }
    }

    /** Whether the owner record of {@code dataId} names {@code path}. */
    boolean isOwner(String path, String dataId) throws IOException {
        return path.equals(ownerOrNull(path, dataId));
    }

    /** The logical path recorded as owner of {@code dataId}, or null when there is no owner record. */
    private String ownerOrNull(String path, String dataId) throws IOException {
        try (ResponseInputStream<GetObjectResponse> in = bucket.get(path, layout.ownerKey(dataId), null)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (PathNotFoundException e) {
            return null;
        }
    }

    /**
     * Deletes data objects (and their owner records) that no pointer names and that are older than
     * {@code cutoff}: what a crash between the steps of a commit, move or delete leaks (see "Ownership"). A mark
     * over every pointer, then a sweep of the data listed before it. A data object the mark missed because a move
     * wrote its new pointer behind the listing is recognised by its owner record, which names the new path before
     * the pointer is written, and kept. Data this old is not being written or moved: commits and moves finish in
     * seconds, and the collector passes its grace period.
     */
    long sweepLeftovers(Instant cutoff) throws IOException {
        String where = "/";
        Set<String> candidates = new HashSet<>();
        bucket.listPages(where, layout.dataPrefix(), page -> {
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
        bucket.listPages(where, layout.base(), page -> {
            for (S3Object object : page.contents()) {
                if (layout.isHidden(object.key())) {
                    return false; // '~' sorts last: no pointer follows
                }
                if (object.size() == Pointer.LENGTH) {
                    Pointer pointer = pointerAt(layout.path(object.key()), object.key());
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
                Pointer current = pointerAt(owner, layout.key(owner));
                if (current != null && current.dataId().equals(dataId)) {
                    continue; // moved behind the listing
                }
            }
            log.info("s3: deleting data {} that no pointer names (owner record: {})", dataId, owner);
            bucket.delete(where, layout.dataKey(dataId));
            bucket.delete(where, layout.ownerKey(dataId));
            swept++;
        }
        return swept;
    }

    /** Whether {@code name} is a segment an SPI path could hold (not the hidden namespace, not a marker). */
    static boolean isValidSegment(String name) {
        return SEGMENT.matcher(name).matches() && !name.equals(".") && !name.equals("..");
    }

    static boolean isValidPath(String path) {
        for (String segment : path.substring(1).split("/", -1)) {
            if (!isValidSegment(segment)) {
                return false;
            }
        }
        return true;
    }
}
