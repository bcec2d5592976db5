package dev.berth.storage;

/** A read started past the end of the object. */
public class InvalidOffsetException extends StorageException {
    private final long offset;

    public InvalidOffsetException(String path, long offset) {
        super("invalid offset " + offset, path);
        this.offset = offset;
    }

    public long offset() {
        return offset;
    }
}
