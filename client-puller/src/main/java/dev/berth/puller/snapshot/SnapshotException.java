package dev.berth.puller.snapshot;

/** A refused snapshot operation, with the containerd error class it maps to. */
public final class SnapshotException extends Exception {
    private final Code code;

    public SnapshotException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public Code code() {
        return code;
    }

    /** containerd's errdefs classes that a snapshotter answers with (each is one gRPC status code). */
    public enum Code {
        NOT_FOUND,
        ALREADY_EXISTS,
        FAILED_PRECONDITION,
        INVALID_ARGUMENT
    }
}
