package dev.berth.registry.upload;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import org.bouncycastle.crypto.digests.EncodableDigest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;

/**
 * A digest in progress whose internal state can be saved and restored, so that an upload continued by
 * another request (or another replica) resumes hashing where the last one stopped instead of re-reading the
 * bytes already stored. The JDK's {@code MessageDigest} cannot export its state; BouncyCastle's can.
 */
public final class RunningDigest {
    private final DigestAlgorithm algorithm;
    private final org.bouncycastle.crypto.Digest digest;

    private RunningDigest(DigestAlgorithm algorithm, org.bouncycastle.crypto.Digest digest) {
        this.algorithm = algorithm;
        this.digest = digest;
    }

    /** A digest over no bytes yet. */
    public static RunningDigest start(DigestAlgorithm algorithm) {
        return new RunningDigest(algorithm, switch (algorithm) {
            case SHA256 -> new SHA256Digest();
            case SHA512 -> new SHA512Digest();
        });
    }

    /**
     * Restores a state saved by {@link #state()}. Throws {@link IllegalArgumentException} for bytes that are
     * not such a state (e.g. a truncated object), which callers treat like a missing state.
     */
    public static RunningDigest restore(DigestAlgorithm algorithm, byte[] state) {
        try {
            return new RunningDigest(algorithm, switch (algorithm) {
                case SHA256 -> new SHA256Digest(state);
                case SHA512 -> new SHA512Digest(state);
            });
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a saved " + algorithm.id() + " state", e);
        }
    }

    public DigestAlgorithm algorithm() {
        return algorithm;
    }

    public void update(byte[] bytes, int offset, int length) {
        digest.update(bytes, offset, length);
    }

    /** The serialised state; the digest can go on being updated afterwards. */
    public byte[] state() {
        return ((EncodableDigest) digest).getEncodedState();
    }

    /** The digest of everything so far, computed on a copy so this one stays usable. */
    public Digest current() {
        org.bouncycastle.crypto.Digest copy = switch (algorithm) {
            case SHA256 -> new SHA256Digest((SHA256Digest) digest);
            case SHA512 -> new SHA512Digest((SHA512Digest) digest);
        };
        byte[] out = new byte[copy.getDigestSize()];
        copy.doFinal(out, 0);
        return Digest.of(algorithm, out);
    }
}
