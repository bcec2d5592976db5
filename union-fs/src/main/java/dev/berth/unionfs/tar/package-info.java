/**
 * Applying OCI layer tars into overlay2 layer directories: {@link dev.berth.unionfs.tar.LayerApplier}
 * is the entry point; everything else here is its machinery.
 *
 * <p>Vocabulary. A <em>layer</em> is a tar of changes to the layers below it. A <em>whiteout</em>
 * ({@code .wh.NAME}) says NAME was deleted; an <em>opaque whiteout</em> ({@code .wh..wh..opq}) says
 * the directory holding it hides everything the lower layers have there. Overlayfs has its own forms
 * of both, and the applier writes those: a character device 0:0 named NAME, and the xattr
 * {@code trusted.overlay.opaque=y} on the directory. The <em>layer root</em> is the directory being
 * written; every name, and every symlink met while resolving a parent, is resolved as if it were
 * "/", so a layer can never write outside it (see {@link dev.berth.unionfs.tar.RootFs}).
 *
 * <p>Rules, the same as containerd's and GNU tar's where they agree:
 * <ul>
 *   <li>Names are cleaned lexically ("..", "." and leading "/" cannot leave the root); symlinks in
 *       parents are followed inside the root; the final component is never followed, an existing
 *       entry there is replaced, except that a directory entry over a directory only updates it.</li>
 *   <li>Symlink targets are stored as they are; they may point anywhere, since only readers follow
 *       them, and readers of a container root resolve them inside it.</li>
 *   <li>A hardlink's target is resolved inside the root and must already exist in this layer;
 *       otherwise the apply fails with {@link dev.berth.unionfs.tar.LayerFormatException}.</li>
 *   <li>Ownership is set before the mode, because chown clears setuid/setgid, and before the
 *       xattrs, because chown also drops {@code security.capability}. Directory modes and times are
 *       set last, after every entry, so that writing children does not disturb them.</li>
 *   <li>{@code trusted.overlay.*} and {@code user.overlay.*} xattrs in the tar are dropped: they
 *       steer overlayfs itself and only the applier may write them.</li>
 * </ul>
 *
 * <p>The stream is read to its end (so that a digest-verifying wrapper sees every byte) but not
 * closed. With {@link dev.berth.unionfs.tar.ApplyOptions#readAhead()} (the default) it is read on a
 * helper thread ({@link dev.berth.unionfs.tar.ReadAhead}), so that its decompression overlaps with
 * writing files.
 *
 * <p>Parallel apply. Creating a small file costs a few system calls of serial latency, so with
 * {@link dev.berth.unionfs.tar.ApplyOptions#parallelism()} N above 1, regular files are also created by
 * N - 1 writer threads ({@link dev.berth.unionfs.tar.FileWriterPool}) while the calling thread, the
 * reader, parses the tar ({@link dev.berth.unionfs.tar.EntryApplier}). The result is the same as the
 * sequential apply's because the reader keeps everything that is ordered in order
 * ({@link dev.berth.unionfs.tar.WriterOrder}):
 * <ul>
 *   <li>The reader copies a small file's content (at most {@value dev.berth.unionfs.tar.WriterOrder#SMALL_FILE}
 *       bytes, not sparse) out of the stream and hands a writer the parent's descriptor (resolved, and
 *       kept open, by the reader: {@link dev.berth.unionfs.tar.RootFs.Dir#retain()}), the name, the
 *       content and the metadata. The writer only ever creates a new file there,
 *       {@code O_CREAT|O_EXCL|O_NOFOLLOW}, and never removes anything. Larger and sparse files are
 *       written by the reader.</li>
 *   <li>A file is handed off only when its path certainly does not exist: its directory was made
 *       by this apply or has been listed once, and no entry of this apply has used the path yet
 *       ({@link dev.berth.unionfs.tar.PathSet}). Anything else (a replacement, a second entry for the
 *       path) is applied by the reader, as sequentially.</li>
 *   <li>Before the reader does anything to a path (looks it up as a parent, creates, replaces or
 *       whiteouts it, links to or from it), it waits for a file still being written there; before it
 *       removes anything, and before directory modes and times are set at the end, it waits for all
 *       of them. Directories, symlinks, hardlinks, devices, whiteouts and opaque markers are made by
 *       the reader.</li>
 *   <li>At most {@value dev.berth.unionfs.tar.WriterOrder#QUEUE_FILES} files and
 *       {@value dev.berth.unionfs.tar.WriterOrder#QUEUE_BYTES} bytes (plus 512 per file) wait for
 *       writers; past that the reader writes the file itself, so it is the N-th creating thread
 *       whenever the writers fall behind. Besides those, the reader holds the content of one entry
 *       (at most {@link dev.berth.unionfs.tar.ApplyOptions#bufferSize()} at a time for large files).</li>
 *   <li>The first failure, the reader's or a writer's, ends the apply: writers stop, and
 *       {@code apply} throws it (a writer's failure names its entry) once no writer runs any more.</li>
 * </ul>
 *
 * <p>Files and their one job each: {@code LayerApplier} (the public entry point: streams, the entry
 * loop, clean-up), {@code EntryApplier} (what each kind of entry becomes on disk), {@code WriterOrder}
 * (what the reader hands to writer threads and when it must wait for them), {@code FileWriterPool} (the
 * writer threads), {@code NewFiles} (creating a file that does not exist yet, on any thread),
 * {@code Attributes} (ownership, mode, xattrs and times, in the order the kernel needs), {@code RootFs}
 * (resolving names inside the root), and the tar reading: {@code LayerTarInputStream},
 * {@code HeaderTap}, {@code ReadAhead}.
 */
package dev.berth.unionfs.tar;
