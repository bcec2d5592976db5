package dev.berth.storage;

import java.io.IOException;
import java.util.Collection;

/**
 * Optional capability: deletes many objects in one call, for bulk clean-up such as garbage collection, where one
 * call per object would dominate the run time (an object store deletes up to 1000 keys per request).
 *
 * <p>Only objects are deleted, never directory trees: a path naming a directory or nothing at all is skipped, so
 * a caller can never remove more than it listed. Each object disappears atomically, as with
 * {@link StorageDriver#delete}; the batch as a whole is not atomic, and on failure some objects may be gone.
 */
public interface BatchDeleteCapable {

    /** Deletes the objects at {@code paths}; returns how many existed and were deleted. */
    int deleteMany(Collection<String> paths) throws IOException;
}
