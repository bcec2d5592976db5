package dev.berth.registry.manifest;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.OciJson;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The referrers API's index: for each subject digest, one link per manifest whose {@code subject} names it,
 * holding the descriptor the API returns (media type, digest, size, artifactType, annotations). Entries are
 * written on push and removed on delete, so a listing never parses manifests. The subject need not exist.
 */
public class ReferrersIndex {
    private final StorageDriver driver;

    public ReferrersIndex(StorageDriver driver) {
        this.driver = driver;
    }

    /** One page of referrers; {@code more} tells whether entries remain after the last one. */
    public record Page(List<Descriptor> referrers, boolean more) {}

    /** Records {@code referrer} under {@code subject}; writing the same entry again is harmless. */
    public void add(String name, Digest subject, Descriptor referrer) throws IOException {
        driver.putContent(
                RegistryLayout.referrer(name, subject, referrer.digest()),
                OciJson.mapper().writeValueAsBytes(referrer));
    }

    /** Removes the entry of {@code referrer} under {@code subject}; false when there was none. */
    public boolean remove(String name, Digest subject, Digest referrer) throws IOException {
        try {
            driver.delete(RegistryLayout.referrerDir(name, subject, referrer));
            return true;
        } catch (PathNotFoundException e) {
            return false;
        }
    }

    /**
     * Up to {@code limit} referrers of {@code subject} matching {@code filter}, in digest order, starting after
     * the referrer digest {@code after} (null for the first page). Only the entries needed are read.
     */
    public Page list(String name, Digest subject, Predicate<Descriptor> filter, Digest after, int limit)
            throws IOException {
        List<String> paths = new ArrayList<>();
        try {
            driver.walk(RegistryLayout.referrers(name, subject), info -> {
                paths.add(info.path());
                return true;
            });
        } catch (PathNotFoundException e) {
            return new Page(List.of(), false);
        }
        // Lexical path order is alg/hex order, the same for every page: a stable cursor.
        String start = after == null ? null : RegistryLayout.referrer(name, subject, after);
        List<Descriptor> page = new ArrayList<>();
        for (String path : paths) {
            if (start != null && path.compareTo(start) <= 0) {
                continue;
            }
            Descriptor d;
            try {
                d = OciJson.mapper().readValue(driver.getContent(path), Descriptor.class);
            } catch (PathNotFoundException e) {
                continue; // removed since the walk
            }
            if (!filter.test(d)) {
                continue;
            }
            if (page.size() == limit) {
                return new Page(page, true);
            }
            page.add(d);
        }
        return new Page(page, false);
    }
}
