package dev.berth.oci.io;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Hashes bytes as they are read and, when given an expected digest and size, checks them: reading past the
 * expected size, or reaching the end with a different digest or size, throws {@link DigestMismatchException}.
 * The caller learns of corruption at the latest on the read that returns end of stream, so content that is
 * only published after a full read is never published unverified. Without an expectation
 * ({@link #hashing}) it only hashes, and {@link #digest()} tells what was read: the one hashing stream of the
 * project, for blobs, DiffIDs and uploads alike.
 */
public final class VerifyingInputStream extends FilterInputStream {
    private final Digest expected;
    private final DigestAlgorithm algorithm;
    private final long expectedSize;
    private final MessageDigest md;
    private long count;
    private Digest actual;
    private boolean verified;

    /**
     * @param expectedSize the exact size, or -1 when unknown (then only the digest is checked)
     * @param alreadyHashed when resuming, a digest state that already covers the first bytes; null otherwise
     */
    public VerifyingInputStream(
            InputStream in, Digest expected, long expectedSize, MessageDigest alreadyHashed, long alreadyCounted) {
        this(in, expected, expected.algorithm(), expectedSize, alreadyHashed, alreadyCounted);
    }

    public VerifyingInputStream(InputStream in, Digest expected, long expectedSize) {
        this(in, expected, expectedSize, null, 0);
    }

    private VerifyingInputStream(
            InputStream in,
            Digest expected,
            DigestAlgorithm algorithm,
            long expectedSize,
            MessageDigest alreadyHashed,
            long alreadyCounted) {
        super(in);
        this.expected = expected;
        this.algorithm = algorithm;
        this.expectedSize = expectedSize;
        this.md = alreadyHashed != null ? alreadyHashed : algorithm.newMessageDigest();
        this.count = alreadyCounted;
    }

    /** Only hashes what is read (nothing to check against); {@link #digest()} at the end says what it was. */
    public static VerifyingInputStream hashing(InputStream in, DigestAlgorithm algorithm) {
        return new VerifyingInputStream(in, null, algorithm, -1, null, 0);
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
        byte[] buf = new byte[(int) Math.min(Math.max(n, 0), 8192)];
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

    /** True once the end was reached and digest and size matched (always false when only hashing). */
    public boolean verified() {
        return verified;
    }

    /**
     * The digest of everything read, once the end was reached.
     *
     * @throws IllegalStateException before the end
     */
    public Digest digest() {
        if (actual == null) {
            throw new IllegalStateException("the stream was not read to its end");
        }
        return actual;
    }

    private void verify() throws DigestMismatchException {
        if (actual == null) {
            actual = Digest.of(algorithm, md.digest());
        }
        if (expected == null || verified) {
            return;
        }
        if (expectedSize >= 0 && count != expectedSize) {
            throw new DigestMismatchException(expected, "got " + count + " bytes, expected " + expectedSize);
        }
        if (!actual.equals(expected)) {
            throw new DigestMismatchException(expected, "content has digest " + actual);
        }
        verified = true;
    }
}
