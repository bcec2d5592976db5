package dev.berth.storage;

import java.io.IOException;
import java.time.Instant;

/**
 * Optional capability: removes what a crashed process left in the driver's private area (the filesystem
 * driver's staging files of writers that never committed, closed or cancelled; the S3 driver's data objects
 * that no pointer names after a crash in the middle of a move). Nothing visible through {@link StorageDriver}
 * changes. The garbage collector calls it with its grace-period cutoff: a live writer touches its files far
 * more often than that.
 */
public interface LeftoverSweepCapable {

    /** Deletes private leftovers last modified before {@code cutoff}; returns how many were deleted. */
    long sweepLeftovers(Instant cutoff) throws IOException;
}
