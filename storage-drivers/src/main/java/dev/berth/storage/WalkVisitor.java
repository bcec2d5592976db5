package dev.berth.storage;

import java.io.IOException;

/** Receives objects during {@link StorageDriver#walk}; returns {@code false} to stop the walk. */
@FunctionalInterface
public interface WalkVisitor {
    boolean visit(FileInfo object) throws IOException;
}
