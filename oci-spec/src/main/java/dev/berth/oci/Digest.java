package dev.berth.oci;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest such as {@code sha256:6c3c...}. Only registered algorithms with their exact encoded form
 * (lowercase hex of the right length) are accepted, so a {@code Digest} is always safe to use in paths.
 */
public record Digest(DigestAlgorithm algorithm, String hex) implements Comparable<Digest> {
    // The image spec's general grammar; registered algorithms then narrow the encoded part.
    private static final Pattern GRAMMAR = Pattern.compile("[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");
    private static final Pattern LOWER_HEX = Pattern.compile("[a-f0-9]+");

    public Digest {
        if (algorithm == null
                || hex == null
                || hex.length() != algorithm.hexLength()
                || !LOWER_HEX.matcher(hex).matches()) {
            throw new InvalidDigestException(algorithm + ":" + hex);
        }
    }

    /** Parses a digest string; throws {@link InvalidDigestException} for anything malformed or unsupported. */
    @JsonCreator
    public static Digest parse(String value) {
        if (value == null || value.length() > 256 || !GRAMMAR.matcher(value).matches()) {
            throw new InvalidDigestException(value);
        }
        int colon = value.indexOf(':');
        DigestAlgorithm algorithm = DigestAlgorithm.fromId(value.substring(0, colon))
                .orElseThrow(() -> new UnsupportedDigestException(value));
        return new Digest(algorithm, value.substring(colon + 1));
    }

    /** True when {@code value} parses. */
    public static boolean isValid(String value) {
        try {
            parse(value);
            return true;
        } catch (InvalidDigestException e) {
            return false;
        }
    }

    public static Digest of(DigestAlgorithm algorithm, byte[] rawHash) {
        return new Digest(algorithm, HexFormat.of().formatHex(rawHash));
    }

    /** Digest of a whole byte array (manifests and other small content). */
    public static Digest compute(DigestAlgorithm algorithm, byte[] content) {
        MessageDigest md = algorithm.newMessageDigest();
        return of(algorithm, md.digest(content));
    }

    public static Digest sha256(byte[] content) {
        return compute(DigestAlgorithm.SHA256, content);
    }

    @JsonValue
    @Override
    public String toString() {
        return algorithm.id() + ":" + hex;
    }

    @Override
    public int compareTo(Digest o) {
        return toString().compareTo(o.toString());
    }
}
