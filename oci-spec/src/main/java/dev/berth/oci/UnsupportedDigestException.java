package dev.berth.oci;

/** A well-formed digest whose algorithm Berth does not implement. */
public class UnsupportedDigestException extends InvalidDigestException {
    public UnsupportedDigestException(String value) {
        super("unsupported digest algorithm: " + value, true);
    }
}
