package dev.berth.puller.pull;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/** Hashes what is read through it (the uncompressed tar, for its DiffID). */
final class DigestingInputStream extends FilterInputStream {
    private final DigestAlgorithm algorithm;
    private final MessageDigest md;
    private long count;

    DigestingInputStream(InputStream in, DigestAlgorithm algorithm) {
        super(in);
        this.algorithm = algorithm;
        this.md = algorithm.newMessageDigest();
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
        if (n > 0) {
            md.update(b, off, n);
            count += n;
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(Math.max(n, 0), 64 * 1024)];
        int r = read(buf, 0, buf.length);
        return Math.max(r, 0);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public void close() {
        // The owner closes the underlying streams; a tar reader closing this must not cut the pipeline.
    }

    long count() {
        return count;
    }

    Digest digest() {
        return Digest.of(algorithm, md.digest());
    }
}
