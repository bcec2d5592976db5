package dev.berth.registry.manifest;

import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.storage.Repositories;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.util.List;
import java.util.function.Predicate;

/**
 * The registry's repositories. A repository is listed while it holds a manifest revision or a tag, i.e. while
 * its {@code _manifests} directory exists (drivers never report empty directories).
 */
public class Catalog {
    private final StorageDriver driver;

    public Catalog(StorageDriver driver) {
        this.driver = driver;
    }

    /**
     * Which names a listing shows. Beyond the test of one name, it may tell that no name below a prefix can be
     * shown, and the walk then skips that whole subtree without reading it: a caller who sees a few names of a
     * large registry costs what those names cost.
     */
    public interface Visibility extends Predicate<String> {
        /** False only when no name starting with {@code prefix} (which ends with '/') can be shown. */
        default boolean mayShowUnder(String prefix) {
            return true;
        }
    }

    /** One page of repository names; {@code more} tells whether names remain after the last one. */
    public record Page(List<String> names, boolean more) {}

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
        return list(last, limit, name -> true);
    }

    /**
     * Up to {@code limit} names that {@code visible} accepts, in ASCII order, starting after {@code last} (null
     * for the first page). This is the one per-caller listing: {@code _catalog} passes what the caller may pull.
     * The cost is that of the page, not of the registry (see {@link Repositories}); names that {@code visible}
     * refuses are walked past, unless it is a {@link Visibility} that rules out whole subtrees.
     */
    public Page list(String last, int limit, Predicate<String> visible) throws IOException {
        if (limit <= 0) {
            return new Page(List.of(), false);
        }
        Predicate<String> subtrees = visible instanceof Visibility v ? v::mayShowUnder : prefix -> true;
        // One name past the page tells whether more remain.
        List<String> found =
                Repositories.walk(driver, last, limit + 1, Repositories.Holding.MANIFESTS, visible, subtrees);
        return found.size() > limit ? new Page(List.copyOf(found.subList(0, limit)), true) : new Page(found, false);
    }
}
