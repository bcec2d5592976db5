package dev.berth.storage;

import java.time.Instant;

/** What {@link StorageDriver#stat} reports: a directory has size 0. */
public record FileInfo(String path, long size, Instant modTime, boolean directory) {}
