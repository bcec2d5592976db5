package dev.berth.storage;

import java.io.IOException;
import java.util.List;

/**
 * Optional capability: lists a directory's children from a point onwards, a bounded number at a time, so a caller
 * paging through a large directory (the registry catalog) pays for the page rather than for the directory. Object
 * stores list keys after a given key natively (S3's {@code StartAfter}); a filesystem reads the directory but
 * keeps only the first {@code limit} names after {@code after}.
 */
public interface OrderedListCapable {

    /**
     * The first {@code limit} direct children of {@code path} whose last segment sorts strictly after
     * {@code after} (every child when null), as full paths in lexical order, like {@link StorageDriver#list}.
     * Throws {@link PathNotFoundException} when nothing exists below {@code path}; may instead return an empty
     * list when {@code after} is given.
     */
    List<String> listAfter(String path, String after, int limit) throws IOException;
}
