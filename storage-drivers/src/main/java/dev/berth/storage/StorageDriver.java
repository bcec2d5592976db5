package dev.berth.storage;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * The storage SPI: a small, OCI-agnostic file system over plain string paths.
 *
 * <p>Vocabulary. A <em>path</em> is an absolute, slash-separated string such as {@code /docker/registry/v2/blobs/sha256/ab/abcd/data}:
 * it starts with {@code /}, has no empty, {@code .} or {@code ..} segments, and uses only
 * {@code [A-Za-z0-9._:@/-]} characters (see {@link StoragePaths#check}). A path names either an <em>object</em>
 * (bytes) or, implicitly, a <em>directory</em> (the common prefix of objects below it). Directories exist only
 * while they contain something; drivers never report empty directories.
 *
 * <p>Contract. Objects become visible atomically: {@link #putContent} and {@link FileWriter#commit()} either
 * publish the whole content or nothing, and {@link #move} replaces its destination atomically. Readers never
 * observe a torn object. Every method may be called concurrently from many threads; concurrent writers to the
 * same path are allowed and the last commit wins. Methods block: callers on an event loop must offload them.
 *
 * <p>Optional capabilities (redirects, local files for zero-copy) are separate interfaces that a driver may
 * also implement: {@link RedirectCapable}, {@link LocalFileCapable}.
 */
public interface StorageDriver extends AutoCloseable {

    /** A short name for logs and metrics, e.g. {@code filesystem} or {@code s3}. */
    String name();

    /** Reads a whole small object (manifests, links, metadata). Throws {@link PathNotFoundException}. */
    byte[] getContent(String path) throws IOException;

    /** Writes a whole small object atomically, replacing any previous content. */
    void putContent(String path, byte[] content) throws IOException;

    /**
     * Opens a stream over an object starting at {@code offset}. An offset equal to the size yields an empty
     * stream; an offset past the size throws {@link InvalidOffsetException}.
     */
    InputStream reader(String path, long offset) throws IOException;

    /**
     * Opens a writer. With {@code append} the writer continues an object that an earlier writer
     * {@linkplain FileWriter#close() closed} without committing (possibly in another process sharing the
     * storage); otherwise it starts empty, discarding such unfinished content. Nothing becomes visible at
     * {@code path} until {@link FileWriter#commit()}.
     */
    FileWriter writer(String path, boolean append) throws IOException;

    /** Describes an object or directory. Throws {@link PathNotFoundException}. */
    FileInfo stat(String path) throws IOException;

    /**
     * Lists the direct children of a directory as full paths, in lexical order. Throws
     * {@link PathNotFoundException} when nothing exists below {@code path}.
     */
    List<String> list(String path) throws IOException;

    /**
     * Moves an object to a new path, atomically replacing the destination. Drivers should make this
     * O(1) in the object's size: it is how verified uploads become blobs.
     */
    void move(String sourcePath, String destPath) throws IOException;

    /** Deletes an object or a whole directory tree. Throws {@link PathNotFoundException}. */
    void delete(String path) throws IOException;

    /**
     * Visits every object below {@code path} (depth first, lexical order). The visitor may stop the walk early.
     * Throws {@link PathNotFoundException} when nothing exists below {@code path}.
     */
    void walk(String path, WalkVisitor visitor) throws IOException;

    @Override
    default void close() throws IOException {
    }
}
