package dev.berth.registry.ui;

import dev.berth.registry.manifest.Catalog;
import dev.berth.registry.security.UiAccess;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The repositories a caller may pull, in name order, a page at a time: the one place where the UI's repository
 * list meets the catalog. It reads the catalog in batches and keeps the names that contain the search text and
 * that {@link UiAccess#mayPull} allows. Batches grow tenfold while they find too few names, so a rare match or a
 * caller who may see little costs a few catalog listings, not one per thousand names.
 */
public class VisibleRepositories {
    /** Names read by the first catalog listing, at least. */
    static final int FIRST_BATCH = 100;
    static final int MAX_BATCH = 100_000;

    private final Catalog catalog;
    private final UiAccess access;

    public VisibleRepositories(Catalog catalog, UiAccess access) {
        this.catalog = catalog;
        this.access = access;
    }

    /** Up to {@code limit} names after {@code last} (null: from the start); {@code more} if any remain. */
    public Catalog.Page page(String user, String contains, String last, int limit) throws IOException {
        List<String> names = new ArrayList<>();
        String cursor = last;
        int size = Math.max(FIRST_BATCH, 2 * limit);
        while (true) {
            Catalog.Page batch = catalog.list(cursor, size);
            size = Math.min(MAX_BATCH, size * 10);
            for (String name : batch.names()) {
                if ((contains == null || name.contains(contains)) && access.mayPull(user, name)) {
                    if (names.size() == limit) {
                        return new Catalog.Page(names, true);
                    }
                    names.add(name);
                }
            }
            if (!batch.more() || batch.names().isEmpty()) {
                return new Catalog.Page(names, false);
            }
            cursor = batch.names().get(batch.names().size() - 1);
        }
    }
}
