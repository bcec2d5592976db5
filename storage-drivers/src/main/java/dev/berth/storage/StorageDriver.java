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

    /**
     * Reads a whole small object (manifests, links, metadata). Throws {@link PathNotFoundException}, also
     * when {@code path} is a directory.
     */
    byte[] getContent(String path) throws IOException;

    /** Writes a whole small object atomically, replacing any previous content. */
    void putContent(String path, byte[] content) throws IOException;

    /**
     * Opens a stream over an object starting at {@code offset}. An offset equal to the size yields an empty
     * stream; an offset past the size, or a negative one, throws {@link InvalidOffsetException}. Once open, the
     * stream keeps returning the content it started with, or fails; it never mixes in a newer version.
     */
    InputStream reader(String path, long offset) throws IOException;

    /**
     * Opens a writer. With {@code append} the writer continues an object that an earlier writer
     * {@linkplain FileWriter#close() closed} without committing (possibly in another process sharing the
     * storage); otherwise it starts empty, discarding such unfinished content. Nothing becomes visible at
     * {@code path} until {@link FileWriter#commit()}. Appending when there is no unfinished content (never
     * written, or already committed or cancelled) throws {@link PathNotFoundException}; a committed object is
     * never reopened for appending.
     */
    FileWriter writer(String path, boolean append) throws IOException;

    /**
     * Describes an object or directory ({@code size} 0; {@code modTime} may be unknown for directories and
     * is then {@code null}). Throws {@link PathNotFoundException}.
     */
    FileInfo stat(String path) throws IOException;

    /**
     * Lists the direct children of a directory (objects and directories alike) as full paths without a
     * trailing slash, in lexical order of those strings. Throws {@link PathNotFoundException} when nothing
     * exists below {@code path}, including when {@code path} names an object.
     */
    List<String> list(String path) throws IOException;

    /**
     * Moves an object to a new path, atomically replacing the destination and creating its parents; the
     * source's directories disappear if it leaves them empty. Throws {@link PathNotFoundException} when no
     * object exists at {@code sourcePath} (a directory is not moved). Drivers should make this
     * O(1) in the object's size: it is how verified uploads become blobs.
     */
    void move(String sourcePath, String destPath) throws IOException;

    /**
     * Deletes an object or a whole directory tree, including unfinished writes (see {@link #writer}) below it,
     * so purging an upload directory frees its space. Throws {@link PathNotFoundException} when nothing
     * visible exists at {@code path}.
     */
    void delete(String path) throws IOException;

    /**
     * Visits every object below {@code path} in lexical order of their full paths, which is depth first (the
     * objects below a directory are contiguous) and is the order in which object stores list keys. Note that
     * it differs from a name-by-name traversal: {@code /a/b-c} comes before {@code /a/b/d} because
     * {@code '-'} sorts before {@code '/'}. The visitor may stop the walk early; its exceptions propagate
     * unchanged. Throws {@link PathNotFoundException} when no object exists below {@code path}.
     */
    void walk(String path, WalkVisitor visitor) throws IOException;

    @Override
    default void close() throws IOException {}
}
