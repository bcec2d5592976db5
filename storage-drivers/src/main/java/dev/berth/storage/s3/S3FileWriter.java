package dev.berth.storage.s3;

import dev.berth.storage.FileWriter;
import dev.berth.storage.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Part;

/**
 * A writer that turns a byte stream into a multipart upload of one data object (see "Writers" in
 * {@code package-info.java}).
 *
 * <p>Memory: one buffer that grows to at most {@code partSize}; every time it is full it becomes a part.
 * Nothing is sent for content smaller than a part until commit (one PutObject) or close (one session PUT).
 * Not thread-safe.
 */
final class S3FileWriter implements FileWriter {
    private static final Logger log = LoggerFactory.getLogger(S3FileWriter.class);
    private static final int INITIAL_BUFFER = 256 * 1024;

    private enum State {
        OPEN,
        CLOSED,
        COMMITTED,
        CANCELLED
    }

    private final S3Ingest ingest;
    private final String path;
    private final int partSize;
    private final List<CompletedPart> parts = new ArrayList<>();
    private String dataId;
    private String uploadId;
    private byte[] buffer;
    private int buffered;
    private long size;
    /** Whether a session object for this path may exist that this writer is responsible for. */
    private boolean sessionStored;
    /** Whether the content changed since the session was loaded (or this writer started fresh). */
    private boolean changed = true;
    /** This writer's hold on the unfinished write when it continues one ({@code append}); null otherwise. */
    private S3Ingest.Claim claim;

    private State state = State.OPEN;

    private S3FileWriter(S3Ingest ingest, String path) {
        this.ingest = ingest;
        this.path = path;
        this.partSize = ingest.partSize();
    }

    static S3FileWriter open(S3Ingest ingest, String path, boolean append) throws IOException {
        S3FileWriter writer = new S3FileWriter(ingest, path);
        if (append) {
            // Exactly one writer continues an unfinished write: the others get "not found" (see "Claims").
            writer.claim = ingest.claim(path);
            try {
                writer.resume(ingest.loadSession(path));
            } catch (IOException | RuntimeException e) {
                writer.releaseClaimQuietly();
                throw e;
            }
        } else {
            // A fresh write discards what an earlier writer left unfinished at this path.
            ingest.discardSession(path);
        }
        return writer;
    }

    /** Continues where a closed writer (maybe in another process) stopped (see "Writers"). */
    private void resume(S3Ingest.Session session) throws IOException {
        sessionStored = true;
        dataId = session.dataId();
        uploadId = session.uploadId();
        long partBytes = 0;
        if (uploadId != null) {
            if (dataId == null) {
                throw new StorageException("corrupt unfinished-write session: upload without data object", path);
            }
            // Parts past the recorded count belong to a writer that died before storing its session: ignored,
            // and overwritten when this writer reaches those part numbers.
            Map<Integer, Part> listed = ingest.listParts(path, dataId, uploadId);
            for (int number = 1; number <= session.parts(); number++) {
                Part part = listed.get(number);
                if (part == null) {
                    throw new StorageException("unfinished write lost part " + number, path);
                }
                partBytes += part.size();
                parts.add(CompletedPart.builder()
                        .partNumber(number)
                        .eTag(part.eTag())
                        .build());
            }
        } else if (session.parts() != 0) {
            throw new StorageException("corrupt unfinished-write session: parts without upload", path);
        }
        if (partBytes + session.tail().length != session.size()) {
            throw new StorageException(
                    "unfinished write is inconsistent: parts " + partBytes + " + tail " + session.tail().length
                            + " != size " + session.size(),
                    path);
        }
        size = session.size();
        buffer = session.tail();
        buffered = buffer.length;
        changed = false;
        // A replica with a smaller part size may have left a tail longer than ours.
        while (buffered >= partSize) {
            flushPart();
        }
    }

    @Override
    public void write(ByteBuffer source) throws IOException {
        ensureOpen();
        keepClaim(false);
        changed |= source.hasRemaining();
        while (source.hasRemaining()) {
            int n = Math.min(source.remaining(), partSize - buffered);
            ensureCapacity(buffered + n);
            source.get(buffer, buffered, n);
            buffered += n;
            size += n;
            if (buffered == partSize) {
                flushPart();
            }
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void commit() throws IOException {
        ensureOpen();
        // Whatever happens, this writer is done; on failure the last stored session (if any) still resumes.
        state = State.CLOSED;
        try {
            commitClaimed();
        } finally {
            releaseClaimQuietly();
        }
    }

    private void commitClaimed() throws IOException {
        try {
            keepClaim(true); // fails, changing nothing, if another writer took over
            if (dataId == null) {
                dataId = S3Ingest.newDataId();
            }
            if (uploadId == null) {
                ingest.putData(path, dataId, buffer == null ? new byte[0] : buffer, buffered);
            } else {
                while (buffered > 0) {
                    flushPart(); // the last part may be smaller than 5 MiB
                }
                ingest.completeUpload(path, dataId, uploadId, parts);
            }
        } finally {
            buffer = null;
        }
        try {
            ingest.publish(path, new Pointer(dataId, size));
        } catch (IOException e) {
            if (!ingest.abandonData(path, dataId)) {
                if (sessionStored) {
                    deleteSessionQuietly(); // it names an upload that no longer exists
                }
                throw e;
            }
        }
        state = State.COMMITTED;
        if (sessionStored) {
            deleteSessionQuietly();
        }
    }

    @Override
    public void cancel() throws IOException {
        if (state == State.COMMITTED || state == State.CANCELLED) {
            return;
        }
        state = State.CANCELLED;
        buffer = null;
        if (uploadId != null) {
            ingest.abortUpload(path, dataId, uploadId);
        }
        try {
            if (sessionStored) {
                ingest.deleteSession(path);
            }
        } finally {
            releaseClaimQuietly();
        }
    }

    @Override
    public void close() throws IOException {
        if (state != State.OPEN) {
            return;
        }
        state = State.CLOSED;
        try {
            if (changed) {
                keepClaim(true); // never overwrite the session of a writer that took over
            }
            if (changed || !sessionStored) {
                ingest.storeSession(
                        path, dataId, uploadId, parts.size(), size, buffer == null ? new byte[0] : buffer, buffered);
                sessionStored = true;
            }
        } finally {
            buffer = null;
            // On failure too: the last stored session is still consistent and the next claimant continues it.
            releaseClaimQuietly();
        }
    }

    private void ensureOpen() throws IOException {
        if (state != State.OPEN) {
            throw new IOException("writer is " + state.name().toLowerCase() + ": " + path);
        }
    }

    private void ensureCapacity(int needed) {
        if (buffer == null || buffer.length < needed) {
            int grown = buffer == null ? INITIAL_BUFFER : buffer.length * 2;
            int length = Math.max(needed, Math.min(partSize, grown));
            buffer = buffer == null ? new byte[length] : Arrays.copyOf(buffer, length);
        }
    }

    /** Sends the first {@code min(buffered, partSize)} buffered bytes as the next part. */
    private void flushPart() throws IOException {
        if (uploadId == null) {
            if (dataId == null) {
                dataId = S3Ingest.newDataId();
            }
            uploadId = ingest.createUpload(path, dataId);
        }
        int length = Math.min(buffered, partSize);
        changed = true;
        parts.add(ingest.uploadPart(path, dataId, uploadId, parts.size() + 1, buffer, length));
        System.arraycopy(buffer, length, buffer, 0, buffered - length);
        buffered -= length;
    }

    /** Renews this writer's claim when due (or now, with {@code force}); a lost claim is dropped, not released. */
    private void keepClaim(boolean force) throws IOException {
        if (claim == null) {
            return;
        }
        try {
            ingest.keepClaim(claim, force);
        } catch (S3Ingest.ClaimLostException e) {
            claim = null; // another writer's now: never delete it
            throw e;
        }
    }

    private void releaseClaimQuietly() {
        if (claim == null) {
            return;
        }
        S3Ingest.Claim held = claim;
        claim = null;
        try {
            ingest.releaseClaim(held);
        } catch (IOException e) {
            // The claim's lease runs out instead, and the next writer takes over then.
            log.warn(
                    "s3: could not release the claim on {}; another writer may continue it when its lease"
                            + " runs out: {}",
                    path,
                    e.toString());
        }
    }

    private void deleteSessionQuietly() {
        try {
            ingest.deleteSession(path);
        } catch (IOException e) {
            // A stale session only costs a purge later; the commit itself succeeded or already failed.
            log.warn(
                    "s3: could not delete the unfinished-write session of {}; the upload purge removes it: {}",
                    path,
                    e.toString());
        }
    }

    @Override
    public String toString() {
        return "s3 writer(" + path + ", " + size + " bytes, " + parts.size() + " parts, " + state + ")";
    }
}
