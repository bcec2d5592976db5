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

/** Image records, one JSON file per reference, each written atomically. */
public final class ImageStore {
    private final StoreLayout layout;
    private final StoreLock lock;

    ImageStore(StoreLayout layout, StoreLock lock) {
        this.layout = layout;
        this.lock = lock;
    }

    public void put(ImageRecord record) throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            FsUtil.writeAtomically(layout.imageRecord(record.reference()),
                    OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
        }
    }

    public Optional<ImageRecord> get(String reference) throws IOException {
        return read(layout.imageRecord(reference));
    }

    /** Every record, sorted by reference. */
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
        out.sort(Comparator.comparing(ImageRecord::reference));
        return out;
    }

    /** @return false when there was no such record */
    public boolean remove(String reference) throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            return Files.deleteIfExists(layout.imageRecord(reference));
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
