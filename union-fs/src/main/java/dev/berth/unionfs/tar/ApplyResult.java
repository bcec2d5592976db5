package dev.berth.unionfs.tar;

import java.time.Duration;

/**
 * What one {@link LayerApplier#apply} did.
 *
 * @param entries tar entries processed, whiteouts and directories included
 * @param bytes bytes of regular-file content written (the logical size, holes included)
 * @param duration wall-clock time of the apply
 */
public record ApplyResult(long entries, long bytes, Duration duration) {}
