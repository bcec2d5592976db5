package dev.berth.storage;

/** The path is not of the SPI's form (see {@link StoragePaths#check}). */
public class InvalidPathException extends StorageException {
    public InvalidPathException(String path) {
        super("invalid storage path", path);
    }
}
