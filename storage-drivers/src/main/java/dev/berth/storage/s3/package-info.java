/**
 * The S3 storage driver: a {@link dev.berth.storage.StorageDriver} over one S3 bucket (AWS or any S3-compatible
 * server), with O(1) moves and resumable multipart writers. The keys are drawn in {@code S3Layout}.
 *
 * <h2>Classes</h2>
 * <ul>
 *   <li>{@link S3Driver}: the storage SPI (read, list, move, delete, walk, redirect) over pointers.</li>
 *   <li>{@code S3Ingest} and {@code S3FileWriter}: ingest, i.e. unfinished writes, their sessions, claims and
 *       multipart uploads, and the purge of abandoned ones (as containerd keeps content writers apart from the
 *       store).</li>
 *   <li>{@code S3Pointers}: pointers and ownership of data objects, shared by both, and the sweep of leaks.</li>
 *   <li>{@code S3Bucket}: the SDK plumbing (client, retries, timeouts, trust, signing, error mapping via
 *       {@code S3Errors}, the fallbacks for S3-compatible servers); it speaks in keys only.</li>
 *   <li>{@link S3DriverConfig}: the one configuration; {@link S3CompatibilityCheck}: the start-up probe.</li>
 * </ul>
 *
 * <h2>Pointers: why {@code move} is O(1)</h2>
 * S3 has no rename; copy-then-delete costs time proportional to the object, and the registry publishes every
 * blob with a move. So content produced by {@link S3Driver#writer} never lives at its logical key. Its bytes go to a
 * <em>data object</em> {@code ~berth/data/<uuid>} (the multipart upload completes there in place), and the
 * logical key receives a 128-byte <em>pointer</em> ({@code Pointer}: content type
 * {@code application/vnd.berth.pointer}, naming the uuid and the logical size). {@code move} of a pointer writes a new
 * pointer and deletes the old one: a handful of tiny requests, whatever the size, and zero bytes copied by the
 * server. Small objects from {@link S3Driver#putContent} are stored directly at their key; moving one is a server-side
 * copy of a small object. Readers follow pointers; {@code stat} reads the logical size from the pointer's
 * metadata (one HEAD); {@code list}/{@code walk} never show {@code ~berth} and report logical sizes.
 *
 * <h2>Ownership: why a crash never loses data</h2>
 * Exactly one pointer <em>owns</em> a data object: the logical path written in {@code ~berth/owner/<uuid>}.
 * Deleting or overwriting a pointer deletes the data object only if the owner record names that pointer's path;
 * any other pointer to the same data is just dropped. Every multi-step operation orders its steps so that a
 * crash between any two of them leaves at worst an unreferenced data object (a leak), never a visible pointer
 * whose data was deleted:
 * <ul>
 *   <li>commit: complete the upload into {@code data/<uuid>}, write the owner record, then write the pointer
 *       (the visibility point). Before it, nothing is visible; if the pointer write fails the data and owner
 *       record are removed again.</li>
 *   <li>move: check that the data object exists (a dangling pointer is never propagated), set the owner record
 *       to the destination, write the destination pointer, delete the source pointer. A crash after the owner
 *       write leaves the source readable but no longer owning (deleting it keeps the data); a crash after the
 *       destination write leaves two pointers of which only the destination owns the data; retrying the move
 *       converges.</li>
 *   <li>delete/overwrite: remove the pointer first, then the data it owned, then the owner record.</li>
 * </ul>
 * Replacing what a path holds is read-then-write (HEAD the old pointer, write, release the old data), so
 * concurrent publishes to one path (two uploads of the same blob, say) are serialised per path inside a process
 * ({@code PathLocks}). Across replicas the last pointer written wins and no pointer ever names deleted data, but
 * a data object displaced by a racing replica that did not see it is leaked (never lost); such orphans, and the
 * leaks of a crash, are found by a mark-and-sweep over all pointers ({@link S3Driver#sweepLeftovers}, which the garbage
 * collector runs).
 *
 * <h2>Writers: multipart uploads that survive the process</h2>
 * A writer buffers at most {@link S3DriverConfig#partSize()} bytes; each full buffer becomes one part of a
 * multipart upload to {@code data/<uuid>} (started lazily, so small content is one PutObject). {@code close()}
 * without commit stores a <em>session</em> object {@code ~berth/uploads/<path>/~session} whose body is the
 * buffered tail (S3 parts must be at least 5 MiB, so the tail cannot be a part yet) and whose metadata names the
 * upload id, the number of parts and the size: one atomic PUT. {@code writer(path, true)} in any process sharing
 * the bucket loads the session, lists the upload's parts (ListParts) to recover their ETags, checks that parts
 * plus tail add up to the recorded size, and continues. Parts beyond the recorded count (from a writer that died
 * before storing its session) are ignored and overwritten. {@code cancel()} aborts the upload and deletes the
 * session; {@link S3Driver#purgeUploads} aborts abandoned ones.
 *
 * <h2>Claims: one writer at a time per unfinished write</h2>
 * The filesystem driver hands unfinished content to exactly one {@code writer(path, true)} by renaming it; S3 has
 * no rename, so a writer that continues a session first creates a <em>claim</em> object
 * {@code ~berth/uploads/<path>/~claim} with {@code If-None-Match: *}. The server lets exactly one such PUT win;
 * the losers get {@link PathNotFoundException}, as they would on a file system where the parked content is gone.
 * {@code close()}, {@code commit()} and {@code cancel()} delete the claim. A writer that dies keeps its claim for
 * {@link S3DriverConfig#uploadClaimLease()}: after that (judged by the claim's {@code Last-Modified} against the
 * server's {@code Date}) one claimant takes over with {@code If-Match} on the stale claim's ETag. A live writer
 * renews its claim ({@code If-Match}, so a writer that was taken over learns it and fails) while it writes, at
 * least every quarter lease, and always before it stores its session or publishes; a writer that paused for a whole
 * lease may thus lose its upload, never share it. This needs a server with conditional writes (AWS S3, MinIO,
 * S3Proxy, Ceph); on one that ignores {@code If-None-Match} two claimants could both proceed. Writers opened
 * without {@code append} start fresh content and take no claim.
 *
 * <h2>Failures</h2>
 * The SDK retries throttling (503 SlowDown and friends), 5xx and connection failures with exponential backoff
 * (longer for throttling), {@link S3DriverConfig#maxRetries()} times; what still fails becomes a
 * {@link dev.berth.storage.StorageUnavailableException} (see {@code S3Errors}). A failed commit leaves nothing
 * visible. A move that fails after writing the destination pointer but before deleting the source leaves both
 * visible; retrying it finishes the job.
 *
 * <h2>S3-compatible servers</h2>
 * Only the checksums S3 requires are sent, path-style addressing and the endpoint are configurable, and a 500
 * for a key below an existing object (filesystem-backed servers cannot have a file and a directory of one name)
 * is recognised as "not found", and a GET whose content type and body disagree (a server that reads them
 * separately can mix two versions of an object being replaced) is resolved again; plain content that merely
 * looks like a pointer stays plain, so nobody reads a blob by forging a pointer. Readers that close early abort
 * the connection instead of draining the object. Payloads are signed whole, never as chunked streams (Ceph RGW 16
 * refuses those for empty bodies); {@code If-Match} falls back to the other ETag form, quoted or bare, when the
 * server refuses one while a HEAD shows the ETag unchanged ({@code S3Bucket.putConditionally}); keys a batch delete could
 * not remove (RGW, for a key written at that moment) are deleted one by one. {@link S3CompatibilityCheck} probes
 * a server for all of this once at start-up.
 */
package dev.berth.storage.s3;
