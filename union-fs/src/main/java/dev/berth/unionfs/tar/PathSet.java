package dev.berth.unionfs.tar;

/**
 * The paths an apply may have created, as 64-bit hashes in an open-addressing table: 16 bytes or less
 * per path, so that a layer of a million files costs megabytes, not a copy of every name.
 *
 * <p>Only "certainly not there" is relied on: a path whose hash is absent was never added. Two paths
 * with the same hash make the other look present, which only sends its entry down the careful
 * (sequential) road. Paths are byte strings; {@link #hash(String, String)} hashes "dir/name" without
 * building it.
 */
final class PathSet {

    private long[] table = new long[1 << 12];
    private int size;

    /** Adds the hash; true when it was not there yet. */
    boolean add(long h) {
        if (h == 0) {
            h = 1; // 0 marks a free slot
        }
        if ((size + 1) * 2L > table.length) {
            grow();
        }
        int mask = table.length - 1;
        for (int i = (int) h & mask; ; i = (i + 1) & mask) {
            long v = table[i];
            if (v == h) {
                return false;
            }
            if (v == 0) {
                table[i] = h;
                size++;
                return true;
            }
        }
    }

    boolean contains(long h) {
        if (h == 0) {
            h = 1;
        }
        int mask = table.length - 1;
        for (int i = (int) h & mask; ; i = (i + 1) & mask) {
            long v = table[i];
            if (v == h) {
                return true;
            }
            if (v == 0) {
                return false;
            }
        }
    }

    int size() {
        return size;
    }

    private void grow() {
        long[] old = table;
        long[] bigger = new long[old.length * 2];
        for (long v : old) {
            if (v != 0) {
                int mask = bigger.length - 1;
                int i = (int) v & mask;
                while (bigger[i] != 0) {
                    i = (i + 1) & mask;
                }
                bigger[i] = v;
            }
        }
        table = bigger;
    }

    /** The hash of the path "dir/name" ("name" when dir is empty). */
    static long hash(String dir, String name) {
        long h = 0xcbf29ce484222325L;
        if (!dir.isEmpty()) {
            h = step(h, dir);
            h = (h ^ '/') * 0x100000001b3L;
        }
        return mix(step(h, name));
    }

    /** The hash of a path. */
    static long hash(String path) {
        return mix(step(0xcbf29ce484222325L, path));
    }

    private static long step(long h, String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            h = (h ^ s.charAt(i)) * 0x100000001b3L; // FNV-1a, one char (byte) at a time
        }
        return h;
    }

    /** MurmurHash3's finalizer, so that the low bits used as the index depend on every byte. */
    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
