package dev.berth.oci.io;

import dev.berth.oci.Digest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Hashes bytes as they are read and checks them against an expected digest and size: reading past the
 * expected size, or reaching the end with a different digest or size, throws {@link DigestMismatchException}.
 * The caller learns of corruption at the latest on the read that returns end of stream, so content that is
 * only published after a full read is never published unverified.
 */
public final class VerifyingInputStream extends FilterInputStream {
    private final Digest expected;
    private final long expectedSize;
    private final MessageDigest md;
    private long count;
    private boolean verified;

    /**
     * @param expectedSize the exact size, or -1 when unknown (then only the digest is checked)
     * @param alreadyHashed when resuming, a digest state that already covers the first bytes; null otherwise
     */
    public VerifyingInputStream(InputStream in, Digest expected, long expectedSize, MessageDigest alreadyHashed,
                                long alreadyCounted) {
        super(in);
        this.expected = expected;
        this.expectedSize = expectedSize;
        this.md = alreadyHashed != null ? alreadyHashed : expected.algorithm().newMessageDigest();
        this.count = alreadyCounted;
    }

    public VerifyingInputStream(InputStream in, Digest expected, long expectedSize) {
        this(in, expected, expectedSize, null, 0);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) {
            verify();
            return -1;
        }
        md.update(b, off, n);
        count += n;
        if (expectedSize >= 0 && count > expectedSize) {
            throw new DigestMismatchException(expected, "more than the expected " + expectedSize + " bytes");
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // Skipping would leave bytes unhashed.
        byte[] buf = new byte[(int) Math.min(n, 8192)];
        int r = read(buf, 0, buf.length);
        return Math.max(r, 0);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Bytes read so far (including any already counted when resuming). */
    public long count() {
        return count;
    }

    /** True once the end was reached and digest and size matched. */
    public boolean verified() {
        return verified;
    }

    private void verify() throws DigestMismatchException {
        if (verified) {
            return;
        }
        if (expectedSize >= 0 && count != expectedSize) {
            throw new DigestMismatchException(expected, "got " + count + " bytes, expected " + expectedSize);
        }
        Digest actual = Digest.of(expected.algorithm(), md.digest());
        if (!actual.equals(expected)) {
            throw new DigestMismatchException(expected, "content has digest " + actual);
        }
        verified = true;
    }
}
