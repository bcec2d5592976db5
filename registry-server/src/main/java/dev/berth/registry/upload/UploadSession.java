package dev.berth.registry.upload;

import dev.berth.oci.DigestAlgorithm;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * An upload session as stored in {@code _uploads/<id>/startedat}: which repository, when it started and which
 * digest algorithm hashes its bytes as they arrive. The bytes themselves, and their size, live in the
 * driver's unfinished object, never in memory, so any replica can continue the session.
 */
public record UploadSession(String repository, String id, Instant startedAt, DigestAlgorithm algorithm) {

    /** The {@code <blob-push-location>} clients use for the rest of the session. */
    public String location() {
        return "/v2/" + repository + "/blobs/uploads/" + id;
    }

    /** The stored form: the start time and the algorithm, one per line. */
    byte[] encode() {
        return (startedAt + "\n" + algorithm.id() + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads the stored form; anything unreadable counts as "no such session". */
    static UploadSession decode(String repository, String id, byte[] stored) {
        String[] lines = new String(stored, StandardCharsets.US_ASCII).split("\n");
        try {
            Instant started = Instant.parse(lines[0].trim());
            DigestAlgorithm algorithm =
                    lines.length > 1 ? DigestAlgorithm.fromId(lines[1].trim()).orElse(null) : DigestAlgorithm.SHA256;
            return algorithm == null ? null : new UploadSession(repository, id, started, algorithm);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
