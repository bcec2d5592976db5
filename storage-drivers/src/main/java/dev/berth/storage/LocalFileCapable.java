package dev.berth.storage;

import java.nio.file.Path;
import java.util.Optional;

/** Optional capability: objects are local files, so servers may send them zero-copy (sendfile). */
public interface LocalFileCapable {

    /** The committed file behind {@code path}, or empty if there is none. Never exposes unfinished writes. */
    Optional<Path> localFile(String path);
}
