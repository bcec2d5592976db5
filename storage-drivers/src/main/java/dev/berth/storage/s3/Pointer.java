package dev.berth.storage.s3;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * A pointer object: what a logical key holds after a writer commits. It names the data object that holds the
 * bytes and records the logical size, so that {@code stat} needs one HEAD.
 *
 * <p>The information is stored twice, in user metadata (read by HEAD) and in the body (read by GET, so a reader
 * that opened the logical key learns the target without a second round trip). The body is always exactly
 * {@link #LENGTH} bytes: a listing shows only sizes, and a fixed size lets {@code walk} recognise candidates
 * (only objects of exactly that size need a HEAD to learn their logical size).
 */
record Pointer(String dataId, long size) {
    /** Content type of pointer objects; any other content type means a plain object. */
    static final String CONTENT_TYPE = "application/vnd.berth.pointer";
    /** The fixed body length of every pointer. */
    static final int LENGTH = 128;

    static final String META_TARGET = "berth-target";
    static final String META_SIZE = "berth-size";
    private static final String MAGIC = "berth-pointer v1";

    Pointer {
        if (dataId.isEmpty()
                || dataId.length() > 64
                || !dataId.chars().allMatch(c -> c == '-' || Character.isLetterOrDigit(c))) {
            throw new IllegalArgumentException("bad data id: " + dataId);
        }
        if (size < 0) {
            throw new IllegalArgumentException("negative size");
        }
    }

    Map<String, String> metadata() {
        return Map.of(META_TARGET, dataId, META_SIZE, Long.toString(size));
    }

    byte[] body() {
        byte[] body = new byte[LENGTH];
        Arrays.fill(body, (byte) ' ');
        byte[] text = (MAGIC + " " + dataId + " " + size).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, body, 0, text.length);
        body[LENGTH - 1] = '\n';
        return body;
    }

    /** Whether an object with this content type is a pointer. */
    static boolean isPointer(String contentType) {
        return contentType != null && contentType.startsWith(CONTENT_TYPE);
    }

    /** Reads a pointer from HEAD/GET user metadata. */
    static Pointer fromMetadata(String key, Map<String, String> metadata) throws IOException {
        String target = metadata.get(META_TARGET);
        String size = metadata.get(META_SIZE);
        if (target == null || size == null) {
            throw new IOException("pointer without target metadata: " + key);
        }
        try {
            return new Pointer(target, Long.parseLong(size));
        } catch (IllegalArgumentException e) {
            throw new IOException("corrupt pointer " + key + ": " + e.getMessage(), e);
        }
    }

    /** Reads a pointer from its body, or returns null if {@code body} is not one. */
    static Pointer parseOrNull(byte[] body) {
        if (body.length != LENGTH) {
            return null;
        }
        try {
            return fromBody("", body);
        } catch (IOException e) {
            return null;
        }
    }

    /** Reads a pointer from its body. */
    static Pointer fromBody(String key, byte[] body) throws IOException {
        String[] fields = new String(body, StandardCharsets.US_ASCII).trim().split(" ");
        if (fields.length != 4 || !(fields[0] + " " + fields[1]).equals(MAGIC)) {
            throw new IOException("corrupt pointer body: " + key);
        }
        try {
            return new Pointer(fields[2], Long.parseLong(fields[3]));
        } catch (IllegalArgumentException e) {
            throw new IOException("corrupt pointer " + key + ": " + e.getMessage(), e);
        }
    }
}
