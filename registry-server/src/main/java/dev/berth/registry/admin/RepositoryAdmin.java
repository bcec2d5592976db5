package dev.berth.registry.admin;

import dev.berth.oci.Digest;
import dev.berth.registry.cache.RegistryCaches;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.storage.Repositories;
import dev.berth.registry.storage.StorageWalk;
import dev.berth.registry.storage.StoredPath;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Storage accounting and whole-repository deletion for the admin API. All methods block. */
public class RepositoryAdmin {
    private final StorageDriver driver;
    private final RegistryCaches caches;

    public RepositoryAdmin(StorageDriver driver) {
        this(driver, RegistryCaches.disabled());
    }

    public RepositoryAdmin(StorageDriver driver, RegistryCaches caches) {
        this.driver = driver;
        this.caches = caches;
    }

    /**
     * The storage one repository uses.
     *
     * @param name      the repository
     * @param manifests manifest revisions it holds
     * @param blobs     blobs it links
     * @param bytes     sizes of its linked blobs and manifests, each distinct digest counted once (blobs shared
     *                  with other repositories count in each of them)
     */
    public record Usage(String name, long manifests, long blobs, long bytes) {}

    /** Usage of every repository, sorted by name: one walk of the blob tree plus one per data directory. */
    public List<Usage> usage() throws IOException {
        Map<Digest, Long> sizes = new HashMap<>();
        StorageWalk.walkIfPresent(driver, RegistryLayout.BLOBS, info -> {
            if (RegistryLayout.parse(info.path()).orElse(null) instanceof StoredPath.BlobData blob) {
                sizes.put(blob.digest(), info.size());
            }
        });
        List<Usage> result = new ArrayList<>();
        for (String name : Repositories.all(driver)) {
            Set<Digest> counted = new HashSet<>();
            long[] manifests = {0};
            long[] blobs = {0};
            StorageWalk.walkIfPresent(driver, RegistryLayout.manifestRevisions(name), info -> {
                if (RegistryLayout.parse(info.path()).orElse(null) instanceof StoredPath.RevisionLink revision) {
                    manifests[0]++;
                    counted.add(revision.digest());
                }
            });
            StorageWalk.walkIfPresent(driver, RegistryLayout.layerLinks(name), info -> {
                if (RegistryLayout.parse(info.path()).orElse(null) instanceof StoredPath.LayerLink link) {
                    blobs[0]++;
                    counted.add(link.digest());
                }
            });
            long bytes = 0;
            for (Digest d : counted) {
                bytes += sizes.getOrDefault(d, 0L);
            }
            result.add(new Usage(name, manifests[0], blobs[0], bytes));
        }
        result.sort((a, b) -> a.name().compareTo(b.name()));
        return result;
    }

    /**
     * Deletes everything repository {@code name} stores (tags and manifests first, so it leaves the catalog at
     * once; then referrers, blob links and uploads), but not repositories nested below it ({@code name/x}).
     * The blobs stay in the global store until garbage collection finds them unreferenced. False when nothing
     * was stored.
     */
    public boolean delete(String name) throws IOException {
        List<String> dirs = Repositories.dataDirectories(driver, name);
        if (dirs.isEmpty()) {
            return false;
        }
        String manifests = RegistryLayout.manifests(name);
        dirs.sort((a, b) -> a.equals(manifests) ? -1 : b.equals(manifests) ? 1 : a.compareTo(b));
        for (String dir : dirs) {
            try {
                driver.delete(dir);
            } catch (PathNotFoundException alreadyGone) {
                // deleted concurrently
            }
        }
        caches.invalidateRepository(name);
        return true;
    }
}
