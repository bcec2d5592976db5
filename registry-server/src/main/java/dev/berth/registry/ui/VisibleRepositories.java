package dev.berth.registry.ui;

import dev.berth.registry.manifest.Catalog;
import dev.berth.registry.security.UiAccess;
import java.io.IOException;

/**
 * The repositories a caller may pull, in name order, a page at a time: the one place where the UI's repository
 * list meets the catalog. It is the catalog's per-caller listing ({@link Catalog#list(String, int,
 * java.util.function.Predicate)}, which costs what the page costs) with the search text as one more condition.
 */
public class VisibleRepositories {
    private final Catalog catalog;
    private final UiAccess access;

    public VisibleRepositories(Catalog catalog, UiAccess access) {
        this.catalog = catalog;
        this.access = access;
    }

    /** Up to {@code limit} names after {@code last} (null: from the start); {@code more} if any remain. */
    public Catalog.Page page(String user, String contains, String last, int limit) throws IOException {
        return catalog.list(
                last, limit, name -> (contains == null || name.contains(contains)) && access.mayPull(user, name));
    }
}
