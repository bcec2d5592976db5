package dev.berth.storage;

import java.io.IOException;

/** Base of the driver's typed errors; anything else a driver throws is a plain {@link IOException}. */
public class StorageException extends IOException {
    private final String path;

    public StorageException(String message, String path) {
        super(message + ": " + path);
        this.path = path;
    }

    public StorageException(String message, String path, Throwable cause) {
        super(message + ": " + path, cause);
        this.path = path;
    }

    public String path() {
        return path;
    }
}
