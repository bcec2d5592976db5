package dev.berth.registry.gc;

import dev.berth.registry.storage.RegistryLayout;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Every repository that stores anything (manifests, blob links, referrers or uploads), found by listing
 * {@link RegistryLayout#REPOSITORIES} through name components only: a directory is a repository when it has a
 * data directory ({@code _...}). Unlike the catalog, repositories that only hold links or uploads count, since
 * those need collecting too.
 */
public final class Repositories {
    private Repositories() {
    }

    /** The names, in no particular order. */
    public static List<String> all(StorageDriver driver) throws IOException {
        List<String> names = new ArrayList<>();
        collect(driver, RegistryLayout.REPOSITORIES, names);
        return names;
    }

    /** The data directories ({@code _manifests}, {@code _layers}, ...) of repository {@code name}. */
    public static List<String> dataDirectories(StorageDriver driver, String name) throws IOException {
        List<String> dirs = new ArrayList<>();
        try {
            for (String child : driver.list(RegistryLayout.repository(name))) {
                if (leaf(child).charAt(0) == RegistryLayout.DATA_DIR_PREFIX) {
                    dirs.add(child);
                }
            }
        } catch (PathNotFoundException e) {
            return dirs;
        }
        return dirs;
    }

    private static void collect(StorageDriver driver, String dir, List<String> names) throws IOException {
        List<String> children;
        try {
            children = driver.list(dir);
        } catch (PathNotFoundException e) {
            return; // emptied meanwhile
        }
        boolean repository = false;
        for (String child : children) {
            String leaf = leaf(child);
            if (leaf.charAt(0) == RegistryLayout.DATA_DIR_PREFIX) {
                repository = true;
            } else {
                collect(driver, child, names);
            }
        }
        if (repository && dir.length() > RegistryLayout.REPOSITORIES.length()) {
            names.add(dir.substring(RegistryLayout.REPOSITORIES.length() + 1));
        }
    }

    static String leaf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
