package dev.berth.puller;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The allowed dependencies between this module's packages, enforced on the sources:
 * registry (HTTP only) and store (disk only) know nothing of each other; pull joins them; mount sits on the
 * store; snapshot (containerd's snapshotter) sits on the store and may pull; cli and agent are the only places that wire everything together.
 */
class PackageDependencyTest {
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "registry", Set.of(),
            "store", Set.of(),
            "pull", Set.of("registry", "store"),
            "mount", Set.of("store"),
            "snapshot", Set.of("store", "pull"),
            "agent", Set.of("registry", "store", "pull", "snapshot"),
            "cli", Set.of("registry", "store", "pull", "mount", "agent", "snapshot"));
    private static final Pattern REF = Pattern.compile("dev\\.berth\\.puller\\.(\\w+)");

    @Test
    void packagesDependOnlyDownwards() throws IOException {
        Path src = Path.of("src/main/java/dev/berth/puller");
        List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(src)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg = src.relativize(f).getName(0).toString();
                Matcher m = REF.matcher(Files.readString(f));
                while (m.find()) {
                    String used = m.group(1);
                    if (!used.equals(pkg) && ALLOWED.containsKey(used) && !ALLOWED.get(pkg).contains(used)) {
                        violations.add(f.getFileName() + " (" + pkg + ") uses " + used);
                    }
                }
            }
        }
        assertThat(violations).isEmpty();
        assertThat(ALLOWED.keySet()).containsExactlyInAnyOrderElementsOf(packages(src));
    }

    private static List<String> packages(Path src) throws IOException {
        try (Stream<Path> dirs = Files.list(src)) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).toList();
        }
    }
}
