package dev.berth.unionfs.tar;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sits under {@code TarArchiveInputStream} and keeps a copy of the header records it consumes while
 * finding the next entry, so that PAX values can be read as the raw bytes they are.
 *
 * <p>Why: commons-compress decodes every PAX value as UTF-8. That is lossy for binary extended
 * attributes ({@code security.capability} holds bytes such as 0xC0) and for non-UTF-8 names, both of
 * which real layers contain. Entry data is never copied: capture is on only during
 * {@code getNextEntry()}, and the applier always reads an entry's data to its end first, so the
 * capture starts at the end of the previous entry's data and holds only padding and headers.
 */
final class HeaderTap extends InputStream {

    private static final int RECORD = 512;

    private final InputStream in;
    private long position;
    private boolean capturing;
    private long captureStart;
    private byte[] captured = new byte[8192];
    private int capturedLength;

    HeaderTap(InputStream in) {
        this.in = in;
    }

    /** Raw values of the PAX extended header that preceded an entry; fields are null when absent. */
    record RawPax(String path, String linkPath, String sparseName, Map<String, byte[]> xattrs) {
        static final RawPax NONE = new RawPax(null, null, null, Map.of());
    }

    void begin() {
        capturing = true;
        captureStart = position;
        capturedLength = 0;
    }

    RawPax end() throws IOException {
        capturing = false;
        return parseHeaders();
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            position++;
            if (capturing) {
                ensure(1);
                captured[capturedLength++] = (byte) b;
            }
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            position += n;
            if (capturing) {
                ensure(n);
                System.arraycopy(b, off, captured, capturedLength, n);
                capturedLength += n;
            }
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // Skipping by reading keeps the position, and a capture, exact.
        byte[] scratch = new byte[(int) Math.min(n, 8192)];
        long done = 0;
        while (done < n) {
            int r = read(scratch, 0, (int) Math.min(scratch.length, n - done));
            if (r < 0) {
                break;
            }
            done += r;
        }
        return done;
    }

    @Override
    public int available() throws IOException {
        return in.available();
    }

    private void ensure(int more) {
        if (capturedLength + more > captured.length) {
            byte[] bigger = new byte[Math.max(captured.length * 2, capturedLength + more)];
            System.arraycopy(captured, 0, bigger, 0, capturedLength);
            captured = bigger;
        }
    }

    /** Walks the captured records from the first record boundary up to the entry's own header. */
    private RawPax parseHeaders() throws IOException {
        int off = (int) ((RECORD - captureStart % RECORD) % RECORD);
        String path = null;
        String linkPath = null;
        String sparseName = null;
        Map<String, byte[]> xattrs = null;
        while (off + RECORD <= capturedLength) {
            byte type = captured[off + 156];
            long size = parseSize(captured, off + 124);
            int dataStart = off + RECORD;
            if (type == 'x' || type == 'X') {
                int end = (int) Math.min((long) dataStart + size, capturedLength);
                Map<String, byte[]> records = parsePaxRecords(captured, dataStart, end);
                for (Map.Entry<String, byte[]> r : records.entrySet()) {
                    String key = r.getKey();
                    byte[] value = r.getValue();
                    if (key.equals("path")) {
                        path = value.length == 0 ? null : ByteStrings.of(value);
                    } else if (key.equals("linkpath")) {
                        linkPath = value.length == 0 ? null : ByteStrings.of(value);
                    } else if (key.equals("GNU.sparse.name")) {
                        sparseName = value.length == 0 ? null : ByteStrings.of(value);
                    } else if (key.startsWith("SCHILY.xattr.")) {
                        xattrs = put(xattrs, key.substring("SCHILY.xattr.".length()), value);
                    } else if (key.startsWith("LIBARCHIVE.xattr.")) {
                        // libarchive URL-encodes the name and base64-encodes the value.
                        String name = URLDecoder.decode(
                                key.substring("LIBARCHIVE.xattr.".length()), StandardCharsets.ISO_8859_1);
                        String b64 = new String(value, StandardCharsets.ISO_8859_1).trim();
                        try {
                            xattrs = put(xattrs, name, Base64.getDecoder().decode(pad(b64)));
                        } catch (IllegalArgumentException e) {
                            throw new LayerFormatException("bad base64 in PAX record " + key);
                        }
                    }
                }
            } else if (type != 'g' && type != 'L' && type != 'K') {
                break; // the entry's own header
            }
            off = dataStart + (int) ((size + RECORD - 1) / RECORD * RECORD);
        }
        if (path == null && linkPath == null && sparseName == null && xattrs == null) {
            return RawPax.NONE;
        }
        return new RawPax(path, linkPath, sparseName, xattrs == null ? Map.of() : Collections.unmodifiableMap(xattrs));
    }

    private static Map<String, byte[]> put(Map<String, byte[]> map, String name, byte[] value) {
        Map<String, byte[]> m = map == null ? new LinkedHashMap<>() : map;
        m.put(name, value);
        return m;
    }

    private static String pad(String b64) {
        int rem = b64.length() % 4;
        return rem == 0 ? b64 : b64 + "===".substring(0, 4 - rem);
    }

    /** The 12-byte size field: octal text, or base-256 when the top bit of the first byte is set. */
    static long parseSize(byte[] b, int off) {
        if ((b[off] & 0x80) != 0) {
            long v = b[off] & 0x7f;
            for (int i = 1; i < 12; i++) {
                v = (v << 8) | (b[off + i] & 0xff);
            }
            return v;
        }
        long v = 0;
        for (int i = 0; i < 12; i++) {
            byte c = b[off + i];
            if (c >= '0' && c <= '7') {
                v = v * 8 + (c - '0');
            } else if (c == 0 || (c == ' ' && v > 0)) {
                break;
            }
        }
        return v;
    }

    /** PAX records are {@code "<len> <key>=<value>\n"}, len counting the whole record in bytes. */
    static Map<String, byte[]> parsePaxRecords(byte[] b, int start, int end) throws LayerFormatException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        int p = start;
        while (p < end && b[p] != 0) {
            int q = p;
            long len = 0;
            while (q < end && b[q] >= '0' && b[q] <= '9') {
                len = len * 10 + (b[q] - '0');
                q++;
            }
            if (q >= end || b[q] != ' ' || len <= 0 || p + len > end) {
                throw new LayerFormatException("malformed PAX record at offset " + (p - start));
            }
            int recordEnd = (int) (p + len);
            int eq = q + 1;
            while (eq < recordEnd && b[eq] != '=') {
                eq++;
            }
            if (eq >= recordEnd || b[recordEnd - 1] != '\n') {
                throw new LayerFormatException("malformed PAX record at offset " + (p - start));
            }
            String key = new String(b, q + 1, eq - q - 1, StandardCharsets.ISO_8859_1);
            byte[] value = new byte[recordEnd - 1 - (eq + 1)];
            System.arraycopy(b, eq + 1, value, 0, value.length);
            out.put(key, value);
            p = recordEnd;
        }
        return out;
    }
}
