package dev.berth.puller.store;

import dev.berth.oci.OciJson;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * containerd's snapshot records and the directories of active snapshots and views (see {@link StoreLayout}).
 * Records are written atomically; a directory is created before the record that names it and deleted after
 * the record is gone, so a crash leaves at most a directory no record names, which {@link #cleanup} removes.
 * Callers hold the store lock around every read-modify-write.
 */
public final class SnapshotStore {
    /** containerd's rule for namespace names. */
    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*");

    private final StoreLayout layout;
    private final StoreLock lock;

    SnapshotStore(StoreLayout layout, StoreLock lock) {
        this.layout = layout;
        this.lock = lock;
    }

    public static boolean validNamespace(String namespace) {
        return namespace != null
                && namespace.length() <= 76
                && NAMESPACE.matcher(namespace).matches();
    }

    public Optional<SnapshotRecord> get(String namespace, String key) throws IOException {
        return read(layout.snapshotRecord(checked(namespace), key));
    }

    public void put(SnapshotRecord record) throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            FsUtil.writeAtomically(
                    layout.snapshotRecord(checked(record.namespace()), record.key()),
                    OciJson.mapper().writeValueAsBytes(record));
        }
    }

    /** Forgets a record (its directory, if any, is the caller's to delete afterwards). */
    public void delete(String namespace, String key) throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            Files.deleteIfExists(layout.snapshotRecord(checked(namespace), key));
        }
    }

    /** The records of one namespace. */
    public List<SnapshotRecord> list(String namespace) throws IOException {
        return readAll(layout.snapshotNamespaceDir(checked(namespace)));
    }

    /** The records of every namespace. */
    public List<SnapshotRecord> listAll() throws IOException {
        List<SnapshotRecord> out = new ArrayList<>();
        if (!Files.isDirectory(layout.snapshotsMetaDir())) {
            return out;
        }
        try (DirectoryStream<Path> namespaces = Files.newDirectoryStream(layout.snapshotsMetaDir())) {
            for (Path ns : namespaces) {
                if (Files.isDirectory(ns)) {
                    out.addAll(readAll(ns));
                }
            }
        }
        return out;
    }

    /** Creates a fresh {@code dirs/<id>/} with {@code fs/} (and {@code work/} when writable); returns the id. */
    public String createDir(boolean writable) throws IOException {
        String id = FsUtil.randomName(20).toLowerCase();
        Path dir = layout.snapshotDir(id);
        Files.createDirectories(dir.resolve("fs"));
        if (writable) {
            Files.createDirectories(dir.resolve("work"));
        }
        return id;
    }

    public Path fsDir(String id) {
        return layout.snapshotDir(id).resolve("fs");
    }

    public Path workDir(String id) {
        return layout.snapshotDir(id).resolve("work");
    }

    public void deleteDir(String id) throws IOException {
        FsUtil.deleteTree(layout.snapshotDir(id));
    }

    /**
     * Removes directories that no record names (a crash between creating one and writing its record, or
     * between deleting a record and its directory) and records whose directory is gone.
     *
     * @return how many directories and records were removed
     */
    public int cleanup() throws IOException {
        int removed = 0;
        try (StoreLock.Held held = lock.acquire()) {
            Set<String> named = new HashSet<>();
            for (SnapshotRecord r : listAll()) {
                if (r.dir() != null) {
                    if (Files.isDirectory(fsDir(r.dir()))) {
                        named.add(r.dir());
                    } else {
                        delete(r.namespace(), r.key());
                        removed++;
                    }
                }
            }
            if (Files.isDirectory(layout.snapshotDirsDir())) {
                try (DirectoryStream<Path> dirs = Files.newDirectoryStream(layout.snapshotDirsDir())) {
                    for (Path d : dirs) {
                        if (!named.contains(d.getFileName().toString())) {
                            FsUtil.deleteTree(d);
                            removed++;
                        }
                    }
                }
            }
        }
        return removed;
    }

    private static String checked(String namespace) {
        if (!validNamespace(namespace)) {
            throw new IllegalArgumentException("invalid namespace: " + namespace);
        }
        return namespace;
    }

    private static List<SnapshotRecord> readAll(Path dir) throws IOException {
        List<SnapshotRecord> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "[0-9a-f]*.json")) {
            for (Path f : files) {
                read(f).ifPresent(out::add);
            }
        }
        return out;
    }

    private static Optional<SnapshotRecord> read(Path file) throws IOException {
        try {
            return Optional.of(OciJson.mapper().readValue(Files.readAllBytes(file), SnapshotRecord.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }
}
