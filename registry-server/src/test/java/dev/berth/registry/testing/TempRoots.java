package dev.berth.registry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * Storage roots of Spring test contexts, which live as long as the context cache (the whole test JVM) and so
 * cannot be JUnit {@code @TempDir}s: created in the temporary directory, deleted when the JVM exits.
 */
public final class TempRoots {
    private static final List<Path> ROOTS = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(TempRoots::deleteAll, "berth-temp-roots"));
    }

    private TempRoots() {}

    /** A new empty directory named {@code prefix...}, deleted with everything in it at JVM exit. */
    public static Path create(String prefix) {
        try {
            Path root = Files.createTempDirectory(prefix);
            ROOTS.add(root);
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteAll() {
        for (Path root : ROOTS) {
            try (Stream<Path> tree = Files.walk(root)) {
                tree.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | UncheckedIOException e) {
                // a context still closing may hold or add files: what is left is left
            }
        }
    }
}
