package dev.berth.puller.registry;

import java.io.IOException;

/**
 * A blob could not be read to its end because the registry or the network kept failing, even with resumes.
 * Unlike corrupt content, trying again later may succeed.
 */
public class BlobUnavailableException extends IOException {
    public BlobUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
