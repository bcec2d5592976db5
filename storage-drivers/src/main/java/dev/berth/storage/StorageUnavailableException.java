package dev.berth.storage;

/** The backend cannot be reached or is throttling; the caller may retry later. Nothing was changed. */
public class StorageUnavailableException extends StorageException {
    public StorageUnavailableException(String path, Throwable cause) {
        super("storage unavailable", path, cause);
    }
}
