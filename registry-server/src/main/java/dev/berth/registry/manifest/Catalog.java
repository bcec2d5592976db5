package dev.berth.registry.manifest;

import dev.berth.registry.storage.RegistryLayout;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The registry's repositories. A repository is listed while it holds a manifest revision or a tag, i.e. while
 * its {@code _manifests} directory exists (drivers never report empty directories).
 */
public class Catalog {
    private final StorageDriver driver;

    public Catalog(StorageDriver driver) {
        this.driver = driver;
    }

    /** One page of repository names; {@code more} tells whether names remain after the last one. */
    public record Page(List<String> names, boolean more) {
    }

    /** True when anything at all is stored for {@code name} (manifests, tags, blob links or uploads). */
    public boolean exists(String name) throws IOException {
        try {
            driver.stat(RegistryLayout.repository(name));
            return true;
        } catch (PathNotFoundException e) {
            return false;
        }
    }

    /** Up to {@code limit} names in ASCII order, starting after {@code last} (null for the first page). */
    public Page list(String last, int limit) throws IOException {
        List<String> names = new ArrayList<>();
        collect(RegistryLayout.REPOSITORIES, names);
        // Depth-first order is not name order ("a/b" is visited before "a-b"), so sort the whole set.
        names.sort(null);
        List<String> page = new ArrayList<>();
        for (String name : names) {
            if (last != null && name.compareTo(last) <= 0) {
                continue;
            }
            if (page.size() == limit) {
                return new Page(page, true);
            }
            page.add(name);
        }
        return new Page(page, false);
    }

    /**
     * Descends through name components only: data directories start with '_', which no name component does, so
     * the walk never enters {@code _layers} or {@code _uploads}, however many blobs they hold.
     */
    private void collect(String dir, List<String> names) throws IOException {
        List<String> children;
        try {
            children = driver.list(dir);
        } catch (PathNotFoundException e) {
            return;
        }
        String prefix = RegistryLayout.REPOSITORIES + "/";
        for (String child : children) {
            String leaf = child.substring(child.lastIndexOf('/') + 1);
            if (leaf.equals(RegistryLayout.MANIFESTS_DIR) && dir.length() > prefix.length()) {
                names.add(dir.substring(prefix.length()));
            } else if (!leaf.isEmpty() && leaf.charAt(0) != RegistryLayout.DATA_DIR_PREFIX) {
                collect(child, names);
            }
        }
    }
}
