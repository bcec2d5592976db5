package dev.berth.storage;

/**
 * Monotonic counters kept by {@link CheckedStorageDriver}, shaped so a metrics library can poll them
 * (a count plus a total time per operation fits Micrometer's {@code FunctionCounter}/{@code FunctionTimer}).
 */
public interface StorageStats {

    /** The driver calls that are counted separately. */
    enum Operation {
        GET_CONTENT,
        PUT_CONTENT,
        READER,
        WRITER,
        COMMIT,
        STAT,
        LIST,
        MOVE,
        DELETE,
        WALK,
        REDIRECT_URL
    }

    /** Calls started, whatever their outcome. */
    long calls(Operation operation);

    /**
     * Calls that failed. {@link PathNotFoundException} is not counted: "not there" is an answer that the
     * registry asks for all the time, not a fault of the backend.
     */
    long errors(Operation operation);

    /** Time spent inside the driver for {@code operation}, in nanoseconds; streaming time is not included. */
    long totalTimeNanos(Operation operation);

    /** Bytes handed to callers by {@code getContent} and readers. */
    long bytesRead();

    /** Bytes accepted by {@code putContent} and writers (committed or not). */
    long bytesWritten();
}
