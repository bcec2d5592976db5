package dev.berth.oci;

/** A digest string does not follow the grammar or its algorithm's encoding. */
public class InvalidDigestException extends IllegalArgumentException {
    public InvalidDigestException(String value) {
        super("invalid digest: " + value);
    }

    protected InvalidDigestException(String message, boolean raw) {
        super(message);
    }
}
