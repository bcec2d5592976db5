package dev.berth.oci.io;

import dev.berth.oci.Digest;
import java.io.IOException;

/** Content did not match its expected digest or size. */
public class DigestMismatchException extends IOException {
    private final Digest expected;

    public DigestMismatchException(Digest expected, String detail) {
        super("content does not match " + expected + ": " + detail);
        this.expected = expected;
    }

    public Digest expected() {
        return expected;
    }
}
