package dev.berth.puller.store;

import dev.berth.oci.OciJson;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Image records, one JSON file per reference and platform, each written atomically: pulling
 * {@code --platform linux/arm64} of a tag keeps the amd64 record of it.
 */
public final class ImageStore {
    private final StoreLayout layout;
    private final StoreLock lock;

    ImageStore(StoreLayout layout, StoreLock lock) {
        this.layout = layout;
        this.lock = lock;
    }

    public void put(ImageRecord record) throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            FsUtil.writeAtomically(
                    layout.imageRecord(record.reference(), record.platform()),
                    OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
            // A record of this platform in the older, per-reference place is replaced by this one.
            Path legacy = layout.imageRecord(record.reference());
            if (read(legacy).filter(r -> r.platform().equals(record.platform())).isPresent()) {
                Files.deleteIfExists(legacy);
            }
        }
    }

    /** The record of {@code reference}; of several platforms, the one pulled last. */
    public Optional<ImageRecord> get(String reference) throws IOException {
        return all(reference).stream().max(Comparator.comparingLong(ImageRecord::pulledAt));
    }

    /** The record of one platform of {@code reference}. */
    public Optional<ImageRecord> get(String reference, String platform) throws IOException {
        return all(reference).stream()
                .filter(r -> r.platform().equals(platform))
                .findFirst();
    }

    /** Every platform's record of {@code reference}. */
    public List<ImageRecord> all(String reference) throws IOException {
        return list().stream().filter(r -> r.reference().equals(reference)).toList();
    }

    /** Every record, sorted by reference and platform. */
    public List<ImageRecord> list() throws IOException {
        List<ImageRecord> out = new ArrayList<>();
        if (!Files.isDirectory(layout.imagesDir())) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(layout.imagesDir(), "[0-9a-f]*.json")) {
            for (Path f : files) {
                read(f).ifPresent(out::add);
            }
        }
        out.sort(Comparator.comparing(ImageRecord::reference).thenComparing(ImageRecord::platform));
        return out;
    }

    /**
     * Removes every platform's record of {@code reference}.
     *
     * @return false when there was no such record
     */
    public boolean remove(String reference) throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            boolean removed = Files.deleteIfExists(layout.imageRecord(reference));
            for (ImageRecord r : all(reference)) {
                removed |= Files.deleteIfExists(layout.imageRecord(reference, r.platform()));
            }
            return removed;
        }
    }

    /** Removes the record of one platform of {@code reference}. */
    public boolean remove(String reference, String platform) throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            Path legacy = layout.imageRecord(reference);
            if (read(legacy).filter(r -> r.platform().equals(platform)).isPresent()) {
                Files.deleteIfExists(legacy);
                return true;
            }
            return Files.deleteIfExists(layout.imageRecord(reference, platform));
        }
    }

    private static Optional<ImageRecord> read(Path file) throws IOException {
        try {
            return Optional.of(OciJson.mapper().readValue(Files.readAllBytes(file), ImageRecord.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }
}
