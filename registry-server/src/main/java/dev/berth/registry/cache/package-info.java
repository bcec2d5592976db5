/**
 * In-process caches of storage reads ({@link dev.berth.registry.cache.RegistryCaches}), and why they never
 * report a blob present that cannot be read, even with replicas that share storage and nothing else.
 *
 * <h2>What is cached</h2>
 * <ul>
 *   <li>Tag to digest, manifest revision (repository, digest) to descriptor, repository link existence and blob
 *       size: answers another replica (or the garbage collector) can change, kept at most
 *       {@code berth.cache.ttl}, counted from the start of the storage read that produced them.</li>
 *   <li>Manifest bodies by digest: immutable content, kept until evicted by total size.</li>
 * </ul>
 * Only positive answers are cached: a push, wherever it happened, is visible at once. Every write or delete in
 * this process (tag PUT and DELETE, manifest PUT and DELETE, blob link and unlink, repository delete, the
 * collector's deletions) invalidates the entries it touches after the storage call, and a load that raced with
 * an invalidation drops its answer.
 *
 * <h2>Who reads the cache</h2>
 * Only pulls: manifest GET/HEAD ({@code TagStore.resolve}, {@code ManifestStore.stat}, manifest bodies) and
 * blob GET/HEAD ({@code RepositoryLinks.isLinkedCached}, {@code BlobStore.cachedSize}). Everything whose wrong
 * "present" would lose data reads storage: a manifest PUT's reference checks ({@code BlobStore.rescue},
 * {@code RepositoryLinks.isLinked}, {@code ManifestStore.exists}), a mount ({@code BlobStore.retain}), an
 * upload's commit ({@code BlobStore.commitFrom}), a delete's list of tags ({@code TagStore.tagsOf}) and the
 * collector.
 *
 * <h2>Why a cached "present" blob is always readable</h2>
 * Blob bytes and manifest revisions are deleted by the collector only ({@code dev.berth.registry.gc}), which
 * writes {@code gc-intent}, waits {@code berth.gc.settle-delay}, and only then claims and deletes. So:
 * <ol>
 *   <li>A blob's size (or a revision) is cached only if one listing of its directory, started at time
 *       {@code t}, showed the content and neither {@code gc-intent} nor {@code gc-claimed}. The entry expires at
 *       {@code t + ttl}.</li>
 *   <li>Any deletion of that content then needs an intent written after {@code t}, and its claim comes at least
 *       {@code settle-delay} later: after {@code t + settle-delay}.</li>
 *   <li>{@code settle-delay > ttl} (the startup check in {@link dev.berth.registry.cache.CacheConfiguration}
 *       refuses anything else), so every entry has expired before the bytes can go, in every process. The
 *       argument uses durations measured by each host's monotonic clock, never a comparison of clocks.</li>
 *   <li>Blob HEAD and GET answer "present" only when the link and the size both say so; the size alone decides
 *       readability, so a HEAD that says 200 is followed by a GET that serves the bytes. In this process the
 *       collector also invalidates its deletions at once.</li>
 * </ol>
 * A cached link can outlive an unlink (blob DELETE, repository delete) on another replica by up to the TTL:
 * during that window this replica still answers 200 and serves the bytes, which are still there. A client that
 * skips an upload on that answer is safe: its manifest PUT checks the links in storage and answers
 * {@code MANIFEST_BLOB_UNKNOWN} rather than accepting a manifest the repository cannot serve.
 *
 * <h2>The bound (for operators)</h2>
 * In the process that made a change, reads see it at once. Another replica may, for at most
 * {@code berth.cache.ttl} (plus the duration of one storage read), still resolve a tag to the digest it pointed
 * at before a move or delete, still serve a manifest deleted by digest, and still serve (and report by HEAD)
 * a blob unlinked from a repository. Blobs deleted by garbage collection are never reported present by any
 * replica. A client pulling a manifest gets {@code settle-delay - ttl} (not the full settle delay) to fetch
 * its layers before a collector that is deleting that manifest may delete them too.
 */
package dev.berth.registry.cache;
