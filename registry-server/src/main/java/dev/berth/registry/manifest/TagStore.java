package dev.berth.registry.manifest;

import dev.berth.oci.Digest;
import dev.berth.oci.InvalidDigestException;
import dev.berth.registry.cache.RegistryCaches;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The tags of repositories: each tag is a link holding the digest of the manifest it points at. Pulls resolve
 * tags through the cache; writes invalidate it.
 */
public class TagStore {
    private final StorageDriver driver;
    private final RegistryCaches caches;

    public TagStore(StorageDriver driver) {
        this(driver, RegistryCaches.disabled());
    }

    public TagStore(StorageDriver driver, RegistryCaches caches) {
        this.driver = driver;
        this.caches = caches;
    }

    /**
     * The manifest digest {@code tag} points at, if the tag exists; possibly from the cache, so a move or
     * delete by another replica shows up to {@code berth.cache.ttl} late.
     */
    public Optional<Digest> resolve(String name, String tag) throws IOException {
        return caches.tag(name, tag, () -> {
            Optional<Digest> target = read(name, tag);
            return target.isEmpty() ? RegistryCaches.Answer.absent() : RegistryCaches.Answer.of(target.get());
        });
    }

    /** The manifest digest {@code tag} points at, read from storage. */
    private Optional<Digest> read(String name, String tag) throws IOException {
        byte[] link;
        try {
            link = driver.getContent(RegistryLayout.tagCurrent(name, tag));
        } catch (PathNotFoundException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(Digest.parse(new String(link, StandardCharsets.US_ASCII).trim()));
        } catch (InvalidDigestException e) {
            throw new IOException("corrupt tag link for " + name + ":" + tag, e);
        }
    }

    /** Points {@code tag} at {@code digest}, replacing what it pointed at (the write is atomic). */
    public void tag(String name, String tag, Digest digest) throws IOException {
        driver.putContent(
                RegistryLayout.tagCurrent(name, tag), digest.toString().getBytes(StandardCharsets.US_ASCII));
        caches.invalidateTag(name, tag);
    }

    /** Removes a tag; false when it did not exist. */
    public boolean untag(String name, String tag) throws IOException {
        try {
            driver.delete(RegistryLayout.tag(name, tag));
            return true;
        } catch (PathNotFoundException e) {
            return false;
        } finally {
            caches.invalidateTag(name, tag);
        }
    }

    /** Every tag of the repository in ASCII order (empty when it has none). */
    public List<String> list(String name) throws IOException {
        List<String> children;
        try {
            children = driver.list(RegistryLayout.tags(name));
        } catch (PathNotFoundException e) {
            return List.of();
        }
        List<String> tags = new ArrayList<>(children.size());
        for (String child : children) {
            tags.add(child.substring(child.lastIndexOf('/') + 1));
        }
        // Drivers list in path order, which for one parent is the tags' order; sort anyway, it is cheap.
        tags.sort(null);
        return tags;
    }

    /**
     * The tags pointing at {@code digest}, from storage (never the cache: a delete must not untag a tag that
     * another replica has moved). Reads every tag link: deletes by digest are rare.
     */
    public List<String> tagsOf(String name, Digest digest) throws IOException {
        List<String> result = new ArrayList<>();
        for (String tag : list(name)) {
            if (read(name, tag).filter(digest::equals).isPresent()) {
                result.add(tag);
            }
        }
        return result;
    }
}
