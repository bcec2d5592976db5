package dev.berth.oci;

/** A manifest body that cannot be accepted; the message says why and becomes the error's detail. */
public class ManifestInvalidException extends IllegalArgumentException {
    public ManifestInvalidException(String message) {
        super(message);
    }

    public ManifestInvalidException(String message, Throwable cause) {
        super(message, cause);
    }
}
