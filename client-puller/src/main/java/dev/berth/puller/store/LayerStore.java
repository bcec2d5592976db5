package dev.berth.puller.store;

import dev.berth.oci.Digest;
import dev.berth.oci.OciJson;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Applied layers in overlay2 layout, keyed by ChainID (see {@link StoreLayout} for the tree). Layers are
 * applied into private ingest directories and become visible by one rename, after their parent: a visible
 * layer is always complete, verified and sits on a complete chain.
 */
public final class LayerStore {
    private static final int SHORT_NAME_LENGTH = 26;

    private final StoreLayout layout;
    private final StoreLock lock;
    private final DownloadLocks downloads;

    LayerStore(StoreLayout layout, StoreLock lock) {
        this.layout = layout;
        this.lock = lock;
        this.downloads = new DownloadLocks(layout);
    }

    /**
     * Waits until no other thread or process is downloading the layer {@code chainId}, and keeps it that way
     * until the returned lock is closed (after the commit, or after a failure). Check {@link #exists} once it
     * is held: the previous holder has usually just committed the layer.
     */
    public DownloadLock lockDownload(Digest chainId) throws IOException {
        return downloads.acquire(chainId);
    }

    /**
     * Where the compressed bytes of the layer's blob are kept while it downloads (see {@link StoreLayout}).
     * Only the holder of {@link #lockDownload} reads or writes it.
     */
    public Path partialBlob(Digest chainId) {
        return layout.partialBlob(chainId);
    }

    /**
     * Deletes the kept bytes of downloads nobody is running (interrupted pulls that were not repeated). The
     * lock files stay: deleting one could let two processes lock two different files for one layer.
     *
     * @return how many were deleted
     */
    public int dropKeptDownloads() throws IOException {
        int dropped = 0;
        if (!Files.isDirectory(layout.downloadsDir())) {
            return 0;
        }
        try (DirectoryStream<Path> kept = Files.newDirectoryStream(layout.downloadsDir(), "*.partial")) {
            for (Path partial : kept) {
                String hex = partial.getFileName().toString().replace(".partial", "");
                if (!Digest.isValid("sha256:" + hex)) {
                    continue;
                }
                Optional<DownloadLocks.Held> held = downloads.tryAcquire(Digest.parse("sha256:" + hex));
                if (held.isPresent()) {
                    try (DownloadLocks.Held h = held.get()) {
                        if (Files.deleteIfExists(partial)) {
                            dropped++;
                        }
                    }
                }
            }
        }
        return dropped;
    }

    /** The right to download one layer; close to release. */
    public interface DownloadLock extends AutoCloseable {
        Digest chainId();

        @Override
        void close();
    }

    public boolean exists(Digest chainId) {
        return Files.isRegularFile(layout.layerMeta(chainId));
    }

    public Optional<LayerInfo> info(Digest chainId) throws IOException {
        try {
            return Optional.of(
                    OciJson.mapper().readValue(Files.readAllBytes(layout.layerMeta(chainId)), LayerInfo.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Every committed layer. */
    public List<LayerInfo> list() throws IOException {
        List<LayerInfo> out = new ArrayList<>();
        if (!Files.isDirectory(layout.layersDir())) {
            return out;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(layout.layersDir())) {
            for (Path d : dirs) {
                String name = d.getFileName().toString();
                if (!name.startsWith(StoreLayout.TMP_PREFIX) && Digest.isValid("sha256:" + name)) {
                    info(Digest.parse("sha256:" + name)).ifPresent(out::add);
                }
            }
        }
        return out;
    }

    /** Starts applying a layer in a fresh private directory. */
    public LayerIngest startIngest() throws IOException {
        // Under the store lock so cleanup never sees the directory before its lock file is held.
        try (StoreLock.Held held = lock.acquire()) {
            Files.createDirectories(layout.layersDir());
            return LayerIngest.create(layout.ingestDir(FsUtil.randomName(16).toLowerCase()));
        }
    }

    /**
     * Makes an applied, verified layer visible under its ChainID. Its parent must already be committed.
     *
     * @return false when the layer already existed (another pull won the race); the ingest is then discarded
     */
    public boolean commit(LayerIngest ingest, LayerInfo info) throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            if (exists(info.chainId())) {
                ingest.discard();
                touch(info.chainId());
                return false;
            }
            Path target = publish(ingest.dir(), info);
            ingest.committed(target);
            return true;
        }
    }

    /**
     * Makes a directory applied by someone else (containerd, through the snapshotter) a committed layer: the
     * directory is moved, not copied, so it must be on the store's filesystem.
     *
     * @return false when the layer already existed; {@code diff} is then left where it was
     */
    public boolean adopt(Path diff, LayerInfo info) throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            if (exists(info.chainId())) {
                touch(info.chainId());
                return false;
            }
            // An ingest directory without a lock file: stale-ingest cleanup removes it if we crash here.
            Path dir = layout.ingestDir(FsUtil.randomName(16).toLowerCase());
            Files.createDirectories(dir);
            Files.move(diff, dir.resolve("diff"));
            publish(dir, info);
            return true;
        }
    }

    /** Writes the overlay2 metadata into an applied layer directory and renames it to its ChainID. */
    private Path publish(Path dir, LayerInfo info) throws IOException {
        String lower = "";
        if (info.parent() != null) {
            if (!exists(info.parent())) {
                throw new IllegalStateException(
                        "parent layer " + info.parent() + " of " + info.chainId() + " is not committed");
            }
            String parentLink = readLink(info.parent());
            String parentLower = readLower(info.parent());
            lower = "l/" + parentLink + (parentLower.isEmpty() ? "" : ":" + parentLower);
        }
        String shortName = newShortName();
        Files.createDirectories(dir.resolve("work"));
        Files.writeString(dir.resolve("link"), shortName);
        if (!lower.isEmpty()) {
            Files.writeString(dir.resolve("lower"), lower);
        }
        Files.write(dir.resolve("last-used"), new byte[0]);
        Files.write(dir.resolve("layer.json"), OciJson.mapper().writeValueAsBytes(info));
        Path target = layout.layerDir(info.chainId());
        // A directory left by an interrupted removal or commit (no layer.json): clear it first.
        FsUtil.deleteTree(target);
        Files.createDirectories(layout.shortLinksDir());
        Files.createSymbolicLink(layout.shortLink(shortName), StoreLayout.shortLinkTarget(info.chainId()));
        Files.move(dir, target);
        return target;
    }

    private String newShortName() {
        while (true) {
            String name = FsUtil.randomName(SHORT_NAME_LENGTH);
            if (!Files.exists(layout.shortLink(name), LinkOption.NOFOLLOW_LINKS)) {
                return name;
            }
        }
    }

    /** The layer's short link name (the {@code link} file). */
    public String readLink(Digest chainId) throws IOException {
        return Files.readString(layout.linkFile(chainId), StandardCharsets.UTF_8)
                .trim();
    }

    private String readLower(Digest chainId) throws IOException {
        Path f = layout.lowerFile(chainId);
        return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8).trim() : "";
    }

    /**
     * The directories to stack for an image whose top layer is {@code chainId}: top first, as overlay's
     * {@code lowerdir} wants them, each through its short link ({@code <root>/l/<short>}).
     */
    public List<Path> lowerDirs(Digest chainId) throws IOException {
        List<Path> out = new ArrayList<>();
        out.add(layout.shortLink(readLink(chainId)));
        String lower = readLower(chainId);
        if (!lower.isEmpty()) {
            for (String part : lower.split(":")) {
                out.add(layout.root().resolve(part));
            }
        }
        return out;
    }

    /** Records a use (pull or mount) for least-recently-used eviction. */
    public void touch(Digest chainId) {
        try {
            Files.setLastModifiedTime(layout.lastUsedFile(chainId), FileTime.from(Instant.now()));
        } catch (IOException ignored) {
            // Only affects eviction order.
        }
    }

    public Instant lastUsed(Digest chainId) {
        try {
            return Files.getLastModifiedTime(layout.lastUsedFile(chainId)).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }

    /**
     * Removes a layer: it disappears by one rename into an ingest-like name, so a crash mid-delete leaves
     * only debris that stale-ingest cleanup removes. The caller makes sure nothing uses it.
     */
    public void remove(Digest chainId) throws IOException {
        try (StoreLock.Held held = lock.acquire()) {
            Path dir = layout.layerDir(chainId);
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            try {
                Files.deleteIfExists(layout.shortLink(readLink(chainId)));
            } catch (NoSuchFileException ignored) {
                // No link file: an interrupted commit; the dangling-link sweep handles l/.
            }
            Path doomed = layout.ingestDir("rm-" + FsUtil.randomName(12).toLowerCase());
            Files.move(dir, doomed);
            FsUtil.deleteTree(doomed);
        }
    }

    /**
     * Removes ingests whose owner is gone (a crashed pull) and short links that point nowhere.
     *
     * @return how many directories were removed
     */
    public int cleanStale() throws IOException {
        int removed = 0;
        try (StoreLock.Held held = lock.acquire()) {
            if (Files.isDirectory(layout.layersDir())) {
                try (DirectoryStream<Path> dirs =
                        Files.newDirectoryStream(layout.layersDir(), StoreLayout.TMP_PREFIX + "*")) {
                    for (Path d : dirs) {
                        if (!isLive(d)) {
                            FsUtil.deleteTree(d);
                            removed++;
                        }
                    }
                }
            }
            if (Files.isDirectory(layout.shortLinksDir())) {
                try (DirectoryStream<Path> links = Files.newDirectoryStream(layout.shortLinksDir())) {
                    for (Path link : links) {
                        if (!Files.exists(link)) {
                            Files.deleteIfExists(link);
                        }
                    }
                }
            }
        }
        return removed;
    }

    /** An ingest is live while some process (maybe this one) holds its lock file. */
    private static boolean isLive(Path ingestDir) {
        if (LayerIngest.LIVE.contains(ingestDir)) {
            return true;
        }
        Path lockFile = ingestDir.resolve(LayerIngest.LOCK_NAME);
        if (!Files.exists(lockFile)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) {
                return true;
            }
            l.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true; // held by this JVM
        } catch (IOException e) {
            return false;
        }
    }
}
