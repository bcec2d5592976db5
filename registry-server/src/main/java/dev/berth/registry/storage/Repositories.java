package dev.berth.registry.storage;

import dev.berth.oci.Names;
import dev.berth.storage.OrderedListCapable;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Predicate;

/**
 * The one lister of repositories: walks {@link RegistryLayout#REPOSITORIES} through name components, in ASCII
 * order of the names, from any point on. A directory is a repository when it has a data directory ({@code _...},
 * see {@link Holding}); data directories start with '_', which no name component does, so the walk never
 * enters {@code _layers} or {@code _uploads}.
 *
 * <p>The cost is that of the names produced, not of the registry: the walk goes straight down to the name it
 * resumes after, and lists directories a bounded chunk at a time where the driver can
 * ({@link OrderedListCapable}), so a catalog page of a registry of any size costs about one small listing per
 * name on the page.
 */
public final class Repositories {
    private static final int MIN_CHUNK = 64;

    private Repositories() {}

    /** What makes a directory a repository for a walk. */
    public enum Holding {
        /** A {@code _manifests} directory (a manifest revision or a tag): what the catalog lists. */
        MANIFESTS,
        /** Any data directory (manifests, blob links, referrers or uploads): everything that needs collecting. */
        ANYTHING
    }

    /** Every repository that stores anything, in ASCII order; one listing per directory of the tree. */
    public static List<String> all(StorageDriver driver) throws IOException {
        return walk(driver, null, Integer.MAX_VALUE, Holding.ANYTHING, name -> true, prefix -> true);
    }

    /**
     * Up to {@code limit} repositories holding {@code holding} whose names {@code visible} accepts, in ASCII
     * order, after {@code after} (null: from the first). Subtrees for whose prefix (ending with '/')
     * {@code mayShowUnder} is false are skipped without being read.
     */
    public static List<String> walk(
            StorageDriver driver,
            String after,
            int limit,
            Holding holding,
            Predicate<String> visible,
            Predicate<String> mayShowUnder)
            throws IOException {
        if (limit <= 0) {
            return List.of();
        }
        OrderedWalk walk = new OrderedWalk(driver, after, limit, holding, visible, mayShowUnder);
        walk.directory(walk.children(RegistryLayout.REPOSITORIES, ""), "");
        return walk.found;
    }

    /** The data directories ({@code _manifests}, {@code _layers}, ...) of repository {@code name}. */
    public static List<String> dataDirectories(StorageDriver driver, String name) throws IOException {
        List<String> dirs = new ArrayList<>();
        try {
            for (String child : driver.list(RegistryLayout.repository(name))) {
                if (RegistryLayout.isDataDirectory(leaf(child))) {
                    dirs.add(child);
                }
            }
        } catch (PathNotFoundException e) {
            return dirs;
        }
        return dirs;
    }

    private static String leaf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /**
     * Visits repository names in ASCII order. A directory's children come in leaf order, which is not name
     * order: {@code a-b} sorts before {@code a/x} ('-' before '/') but after {@code a}. So a child's own name is
     * produced when the child is reached, and its subtree (every name starting with {@code child/}) waits on a
     * stack until the first sibling that sorts after {@code child/}.
     */
    private static final class OrderedWalk {
        private final StorageDriver driver;
        private final String after;
        private final int wanted;
        private final Holding holding;
        private final Predicate<String> visible;
        private final Predicate<String> mayShowUnder;
        final List<String> found = new ArrayList<>();

        /** A child's subtree waiting for its turn: names starting with {@code prefix}, from {@code children}. */
        private record Subtree(String prefix, Children children) {}

        OrderedWalk(
                StorageDriver driver,
                String after,
                int wanted,
                Holding holding,
                Predicate<String> visible,
                Predicate<String> mayShowUnder) {
            this.driver = driver;
            this.after = after;
            this.wanted = wanted;
            this.holding = holding;
            this.visible = visible;
            this.mayShowUnder = mayShowUnder;
        }

        /** Walks {@code children} of the directory whose names start with {@code prefix}; true once full. */
        boolean directory(Children children, String prefix) throws IOException {
            Deque<Subtree> waiting = new ArrayDeque<>();
            for (String child = children.next(); child != null; child = children.next()) {
                String leaf = leaf(child);
                if (RegistryLayout.isDataDirectory(leaf)) {
                    continue;
                }
                String name = prefix + leaf;
                if (walkWaiting(waiting, name)) {
                    return true;
                }
                String subtree = name + "/";
                boolean nameWanted = after == null || name.compareTo(after) > 0;
                boolean subtreeWanted = (after == null || after.startsWith(subtree) || subtree.compareTo(after) > 0)
                        && mayShowUnder.test(subtree);
                boolean nameShown = nameWanted && visible.test(name);
                if (!nameShown && !subtreeWanted) {
                    continue; // before the page, or nothing there may be shown: not even listed
                }
                Children grandchildren = children(child, subtree);
                if (nameShown && grandchildren.holds(holding)) {
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
            while (!waiting.isEmpty()
                    && (next == null || waiting.peek().prefix().compareTo(next) < 0)) {
                Subtree subtree = waiting.pop();
                if (directory(subtree.children(), subtree.prefix())) {
                    return true;
                }
            }
            return false;
        }

        /**
         * The children of {@code dir}, whose names start with {@code prefix}, from the first that can matter
         * when resuming after {@link #after}. No leaf below the first component of what follows the prefix in
         * {@code after} up to its first '-' or '.' can: those two are the only name characters that sort before
         * '/', so {@code a} (whose subtree {@code a/...} sorts after {@code a-b/x}) still matters for
         * {@code a-b/x}, but {@code 0} does not.
         */
        Children children(String dir, String prefix) {
            String from = null;
            if (after != null && after.startsWith(prefix)) {
                String rest = after.substring(prefix.length());
                int end = 0;
                while (end < rest.length() && rest.charAt(end) > '/') {
                    end++;
                }
                from = rest.substring(0, end);
            }
            return new Children(
                    driver,
                    dir,
                    from,
                    holding == Holding.ANYTHING ? Integer.MAX_VALUE : Math.max(MIN_CHUNK, wanted + 8));
        }
    }

    /** The children of one directory, listed lazily, a chunk at a time, from a first leaf on. */
    private static final class Children {
        private final StorageDriver driver;
        private final String dir;
        private final String from;
        private final int chunk;
        private final Deque<String> buffer = new ArrayDeque<>();
        private String last;
        private boolean started;
        private boolean complete;

        Children(StorageDriver driver, String dir, String from, int chunk) {
            this.driver = driver;
            this.dir = dir;
            this.from = from == null || from.isEmpty() ? null : from;
            this.chunk = chunk;
        }

        /** The next child (full path), or null after the last. */
        String next() throws IOException {
            if (buffer.isEmpty() && !complete) {
                fetch();
            }
            return buffer.poll();
        }

        /** Whether the directory holds what makes it a repository; looks at the first chunk only if it can. */
        boolean holds(Holding holding) throws IOException {
            if (!started) {
                fetch();
            }
            for (String child : buffer) {
                String leaf = leaf(child);
                if (holding == Holding.ANYTHING
                        ? RegistryLayout.isDataDirectory(leaf)
                        : leaf.equals(RegistryLayout.MANIFESTS_DIR)) {
                    return true;
                }
            }
            if (complete || holding == Holding.ANYTHING) {
                return false;
            }
            try {
                driver.stat(dir + "/" + RegistryLayout.MANIFESTS_DIR);
                return true;
            } catch (PathNotFoundException e) {
                return false;
            }
        }

        private void fetch() throws IOException {
            List<String> page;
            try {
                if (!started && from != null) {
                    started = true;
                    if (Names.isRepository(from) && exists(dir + "/" + from)) {
                        buffer.add(dir + "/" + from); // listAfter starts after it
                    }
                    last = from;
                }
                started = true;
                if (chunk == Integer.MAX_VALUE || !(driver instanceof OrderedListCapable ordered)) {
                    page = driver.list(dir).stream()
                            .filter(c -> last == null || leaf(c).compareTo(last) > 0)
                            .toList();
                    complete = true;
                } else {
                    page = ordered.listAfter(dir, last, chunk);
                    complete = page.size() < chunk;
                }
            } catch (PathNotFoundException e) {
                complete = true; // emptied meanwhile
                return;
            }
            buffer.addAll(page);
            if (!page.isEmpty()) {
                last = leaf(page.get(page.size() - 1));
            }
        }

        private boolean exists(String path) throws IOException {
            try {
                driver.stat(path);
                return true;
            } catch (PathNotFoundException e) {
                return false;
            }
        }
    }
}
