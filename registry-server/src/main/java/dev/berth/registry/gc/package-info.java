/**
 * Online garbage collection: mark and sweep while pushes and pulls continue, across replicas that share
 * nothing but storage (so no in-memory locks).
 *
 * <h2>What is kept</h2>
 * Per repository, the roots are the manifests tags point at and the revisions written less than
 * {@code berth.gc.keep-untagged-for} ago. Kept manifests keep their index children, their referrers (manifests
 * whose subject is kept, found through the referrers index) and, globally, their own bytes and every config,
 * layer and blob they reference. A blob nobody references is deleted only once its bytes, and its
 * {@code touched} marker if any, are older than {@code berth.gc.grace-period}: a client that uploaded layers
 * has that long to push the manifest. Revisions not kept are deleted with their referrers index entries.
 *
 * <h2>The protocol</h2>
 * Two markers, written next to the object they concern ({@link dev.berth.registry.storage.RegistryLayout}):
 * {@code gc-intent} ("I mean to delete this") and {@code gc-claimed} ("I am deleting this; it is absent").
 * Markers live on blob directories and on manifest revision directories.
 * <ol>
 *   <li><b>Mark</b> at T0, read from the storage's own clock (a probe object's modification time), so
 *       clock skew between hosts does not matter.</li>
 *   <li><b>Announce</b>: write {@code gc-intent} next to every candidate (unmarked blob older than the grace
 *       period, revision not kept).</li>
 *   <li><b>Settle</b> for {@code berth.gc.settle-delay}, longer than any manifest PUT (from its first rescue to
 *       its revision write) and than any existence cache's TTL.</li>
 *   <li><b>Re-mark</b> from scratch, with every revision and tag written since T0 as a root. Intents on
 *       what is now kept are withdrawn.</li>
 *   <li><b>Claim</b> each remaining intent by moving {@code gc-intent} to {@code gc-claimed}: the move is
 *       atomic, so it fails if a writer deleted the intent first (the object was rescued). For a claimed blob,
 *       re-check that no writer touched it since the listing (its bytes or {@code touched} are within the
 *       grace period: release the claim); then delete, in this order, the repository links to it (so no
 *       repository ever advertises a blob that cannot be read), its bytes, its {@code touched} marker and
 *       finally the claim. A claimed revision loses its referrers entries, then its link, then the claim.</li>
 * </ol>
 *
 * <h2>What writers do</h2>
 * A writer rescues an object before relying on it: it deletes {@code gc-intent} if present and only then
 * looks for {@code gc-claimed}. Whichever of the delete and the claim's move acts on the intent first wins,
 * and both sides learn it. A rescue that finds no intent needs none: any intent written later is at least one
 * settle delay older than the claim, and by then the writer's manifest revision exists and the re-mark sees it.
 * <ul>
 *   <li>Manifest PUT: {@code RepositoryLinks.rescueRevision} for its own revision (waits out a claim, then
 *       writes afresh), {@code BlobStore.putSmall} for its bytes (the same, built in), and
 *       {@code BlobStore.rescue} for every referenced config and layer before checking the repository's links.
 *       A blob that is claimed counts as absent: {@code MANIFEST_BLOB_UNKNOWN}, and the client uploads it again.
 *       Index children are manifests: they are protected by their own revisions, which the re-mark sees.</li>
 *   <li>Upload commit: {@code BlobStore.commitFrom} rescues the existing blob and refreshes its
 *       {@code touched} marker; if a collector has claimed it, it waits until the collector has deleted the old
 *       bytes and then moves the fresh ones in, instead of discarding them.</li>
 *   <li>Mount: {@code BlobStore.retain} rescues and touches; if it returns false, start a normal upload.</li>
 * </ul>
 * A collector that dies leaves markers behind; intents are harmless (the next rescue deletes them), and
 * claims older than twice the settle delay plus an hour are dropped by the next collection. Runs in different
 * processes at the same time are safe but wasteful: schedule collection on one replica.
 *
 * <h2>Entry points</h2>
 * {@link dev.berth.registry.gc.GarbageCollector} is the engine: it runs the phases, with {@code Scan} reading
 * storage, {@code Mark} walking the reference graph (pure, no storage) and {@code Sweep} carrying out the
 * claim-and-delete half of the protocol above. {@link dev.berth.registry.gc.GcService} runs it
 * on {@code berth.gc.schedule}, for the admin endpoint ({@code dev.berth.registry.admin}) and for the
 * {@code gc} command ({@link dev.berth.registry.gc.GcCommand}), one run at a time per process.
 */
package dev.berth.registry.gc;
