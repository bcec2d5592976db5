package dev.berth.registry.manifest;

import dev.berth.registry.storage.RegistryLayout;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
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
        return list(last, limit, name -> true);
    }

    /**
     * Up to {@code limit} names that {@code visible} accepts, in ASCII order, starting after {@code last} (null
     * for the first page). This is the one per-caller listing: {@code _catalog} passes what the caller may pull.
     *
     * <p>The cost is that of the page, not of the registry: the walk goes straight down to {@code last}, visits
     * names in order from there and stops at the first visible name after the page (which only tells whether
     * {@code more} remain). Each directory visited costs one {@link StorageDriver#list} call. Names that
     * {@code visible} refuses are walked past, unless it is a {@link Visibility} that rules out whole subtrees.
     */
    public Page list(String last, int limit, Predicate<String> visible) throws IOException {
        if (limit <= 0) {
            return new Page(List.of(), false);
        }
        OrderedWalk walk = new OrderedWalk(last, limit + 1, visible);
        walk.directory(children(RegistryLayout.REPOSITORIES), "");
        List<String> found = walk.found;
        return found.size() > limit ? new Page(List.copyOf(found.subList(0, limit)), true) : new Page(found, false);
    }

    private List<String> children(String dir) throws IOException {
        try {
            return driver.list(dir);
        } catch (PathNotFoundException e) {
            return List.of(); // emptied meanwhile
        }
    }

    /**
     * Visits repository names in ASCII order. A directory's children come from the driver in leaf order, which
     * is not name order: {@code a-b} sorts before {@code a/x} ('-' before '/') but after {@code a}. So a child's
     * own name is produced when the child is reached, and its subtree (every name starting with {@code child/})
     * waits on a stack until the first sibling that sorts after {@code child/}. Data directories start with
     * '_', which no name component does, so the walk never enters {@code _layers} or {@code _uploads}.
     */
    private final class OrderedWalk {
        private final String after;
        private final int wanted;
        private final Predicate<String> visible;
        private final Visibility subtrees;
        final List<String> found = new ArrayList<>();

        /** A child's subtree waiting for its turn: names starting with {@code prefix}, from {@code children}. */
        private record Subtree(String prefix, List<String> children) {
        }

        OrderedWalk(String after, int wanted, Predicate<String> visible) {
            this.after = after;
            this.wanted = wanted;
            this.visible = visible;
            this.subtrees = visible instanceof Visibility v ? v : name -> true;
        }

        /** Walks {@code children} of the directory whose names start with {@code prefix}; true once full. */
        boolean directory(List<String> children, String prefix) throws IOException {
            Deque<Subtree> waiting = new ArrayDeque<>();
            for (String child : children) {
                String leaf = child.substring(child.lastIndexOf('/') + 1);
                if (leaf.isEmpty() || leaf.charAt(0) == RegistryLayout.DATA_DIR_PREFIX) {
                    continue;
                }
                String name = prefix + leaf;
                if (walkWaiting(waiting, name)) {
                    return true;
                }
                String subtree = name + "/";
                boolean nameWanted = after == null || name.compareTo(after) > 0;
                boolean subtreeWanted = (after == null || after.startsWith(subtree) || subtree.compareTo(after) > 0)
                        && subtrees.mayShowUnder(subtree);
                boolean nameShown = nameWanted && visible.test(name);
                if (!nameShown && !subtreeWanted) {
                    continue; // before the page, or nothing there may be shown: not even listed
                }
                List<String> grandchildren = children(child);
                boolean repository = grandchildren.stream().anyMatch(
                        g -> g.endsWith("/" + RegistryLayout.MANIFESTS_DIR));
                if (nameShown && repository) {
                    found.add(name);
                    if (found.size() == wanted) {
                        return true;
                    }
                }
                if (subtreeWanted) {
                    // Each waiting subtree sorts before the one below it on the stack (see the class comment).
                    waiting.push(new Subtree(subtree, grandchildren));
                }
            }
            return walkWaiting(waiting, null);
        }

        /** Walks the waiting subtrees that sort before {@code next} (all of them when null); true once full. */
        private boolean walkWaiting(Deque<Subtree> waiting, String next) throws IOException {
            while (!waiting.isEmpty() && (next == null || waiting.peek().prefix().compareTo(next) < 0)) {
                Subtree subtree = waiting.pop();
                if (directory(subtree.children(), subtree.prefix())) {
                    return true;
                }
            }
            return false;
        }
    }
}
