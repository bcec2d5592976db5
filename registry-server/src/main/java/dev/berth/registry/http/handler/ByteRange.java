package dev.berth.registry.http.handler;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The part of a blob a GET asked for, resolved against the blob's size (RFC 9110 section 14). Only a single
 * range is served; a header this class cannot read is ignored, as the RFC allows, and the whole blob is sent.
 *
 * @param start first byte, inclusive
 * @param end   last byte, inclusive
 */
record ByteRange(long start, long end) {
    private static final Pattern SINGLE = Pattern.compile("^bytes=(\\d{0,18})-(\\d{0,18})$");

    /** Outcome of reading a {@code Range} header. */
    sealed interface Result permits Whole, Partial, Unsatisfiable {}

    /** No usable range: send everything with 200. */
    record Whole() implements Result {}

    /** Send {@code range} with 206. */
    record Partial(ByteRange range) implements Result {}

    /** A well-formed range that selects nothing in this blob: 416. */
    record Unsatisfiable() implements Result {}

    long length() {
        return end - start + 1;
    }

    /** {@code Content-Range} value for a 206. */
    String contentRange(long size) {
        return "bytes " + start + "-" + end + "/" + size;
    }

    static Result resolve(String header, long size) {
        if (header == null) {
            return new Whole();
        }
        Matcher m = SINGLE.matcher(header.trim());
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return new Whole(); // multiple ranges, other units, garbage: ignored
        }
        if (m.group(1).isEmpty()) {
            long suffix = Long.parseLong(m.group(2)); // "-n": the last n bytes
            if (suffix == 0 || size == 0) {
                return new Unsatisfiable();
            }
            return new Partial(new ByteRange(Math.max(0, size - suffix), size - 1));
        }
        long first = Long.parseLong(m.group(1));
        if (first >= size) {
            return new Unsatisfiable();
        }
        if (m.group(2).isEmpty()) {
            return new Partial(new ByteRange(first, size - 1));
        }
        long last = Long.parseLong(m.group(2));
        if (last < first) {
            // RFC 9110 calls this invalid (to be ignored); the distribution conformance suite expects 416.
            return new Unsatisfiable();
        }
        return new Partial(new ByteRange(first, Math.min(last, size - 1)));
    }
}
