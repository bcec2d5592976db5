package dev.berth.storage;

/** Nothing exists at the path. */
public class PathNotFoundException extends StorageException {
    public PathNotFoundException(String path) {
        super("path not found", path);
    }
}
