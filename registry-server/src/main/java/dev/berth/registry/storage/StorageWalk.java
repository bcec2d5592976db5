package dev.berth.registry.storage;

import dev.berth.storage.FileInfo;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;

/** Whole walks of registry directories that may not exist yet, and the digests their link paths name. */
public final class StorageWalk {
    private StorageWalk() {}

    /** Receives every object of the walk. */
    @FunctionalInterface
    public interface Visitor {
        void visit(FileInfo object) throws IOException;
    }

    /** Visits every object below {@code dir}; nothing when nothing is stored there. */
    public static void walkIfPresent(StorageDriver driver, String dir, Visitor visitor) throws IOException {
        try {
            driver.walk(dir, info -> {
                visitor.visit(info);
                return true;
            });
        } catch (PathNotFoundException e) {
            // nothing stored there
        }
    }
}
