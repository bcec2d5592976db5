package dev.berth.registry.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.storage.RegistryLayout;
import dev.berth.storage.CheckedStorageDriver;
import dev.berth.storage.OrderedListCapable;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageStats;
import dev.berth.storage.filesystem.FilesystemDriver;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Catalog#list}: name order across nesting, paging, per-caller filtering, and a cost bounded by the page. */
class CatalogTest {
    /** Names whose leaf order differs from name order: '-' and '.' sort before '/', '_' after the digits. */
    private static final List<String> TRICKY = List.of(
            "a", "a-b", "a-b/c", "a-b-c", "a.b", "a/x", "a/x-y", "a/x/z", "a/x0", "a0", "a__b", "b/c/d/e", "b/c/d-e",
            "b/c-d", "z");

    @TempDir
    Path root;

    private CheckedStorageDriver driver() throws IOException {
        return new CheckedStorageDriver(new FilesystemDriver(root));
    }

    private static void repository(StorageDriver driver, String name) throws IOException {
        driver.putContent(
                RegistryLayout.repository(name) + "/_manifests/tags/latest/current/link",
                "sha256:0".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void namesComeInAsciiOrderAcrossNestingAndEveryPageSizeReturnsEachOnce() throws IOException {
        StorageDriver driver = driver();
        for (String name : TRICKY) {
            repository(driver, name);
        }
        // Holds blob links only: not in the catalog.
        driver.putContent(RegistryLayout.repository("a/links-only") + "/_layers/sha256/00/link", new byte[] {1});
        Catalog catalog = new Catalog(driver);
        List<String> sorted = TRICKY.stream().sorted().toList();

        assertThat(catalog.list(null, 1000).names()).isEqualTo(sorted);
        for (int n = 1; n <= 4; n++) {
            assertThat(allPages(catalog, n, name -> true)).as("pages of %d", n).isEqualTo(sorted);
        }
        assertThat(catalog.list("a-b", 3).names()).containsExactly("a-b-c", "a-b/c", "a.b");
        assertThat(catalog.list("a/x", 100).names()).startsWith("a/x-y", "a/x/z", "a/x0", "a0");
        assertThat(catalog.list("zz", 10)).isEqualTo(new Catalog.Page(List.of(), false));
    }

    @Test
    void aPredicateFiltersEveryPageAndPagingStillReturnsEachVisibleNameOnce() throws IOException {
        StorageDriver driver = driver();
        for (String name : TRICKY) {
            repository(driver, name);
        }
        Catalog catalog = new Catalog(driver);
        Predicate<String> visible = name -> name.startsWith("a/") || name.startsWith("b/") || name.equals("z");
        List<String> expected = TRICKY.stream().filter(visible).sorted().toList();
        for (int n = 1; n <= 3; n++) {
            assertThat(allPages(catalog, n, visible)).as("pages of %d", n).isEqualTo(expected);
        }
        Catalog.Page last = catalog.list("b/c/d/e", 5, visible);
        assertThat(last).isEqualTo(new Catalog.Page(List.of("z"), false));
    }

    @Test
    void aPageCostsStorageCallsInProportionToThePageNotToTheRegistry() throws IOException {
        CheckedStorageDriver checked = driver();
        List<String> names = new ArrayList<>();
        for (int ns = 0; ns < 30; ns++) {
            for (int repo = 0; repo < 20; repo++) {
                String name = "ns%02d/app%02d".formatted(ns, repo);
                repository(checked, name);
                names.add(name);
            }
        }
        AtomicLong entries = new AtomicLong();
        Catalog catalog = new Catalog(countingEntries(checked, entries));
        long before = checked.stats().calls(StorageStats.Operation.LIST);

        Catalog.Page page = catalog.list("ns14/app18", 5);

        assertThat(page.names()).containsExactly("ns14/app19", "ns15/app00", "ns15/app01", "ns15/app02", "ns15/app03");
        assertThat(page.more()).isTrue();
        long lists = checked.stats().calls(StorageStats.Operation.LIST) - before;
        // Repositories root, ns14, ns15, and one per repository looked at (two of ns14, six of ns15); listing the
        // whole registry first would take 1 + 30 + 600 calls.
        assertThat(lists).isLessThanOrEqualTo(12);
        // Entries read: the 30 namespaces, two directories of 20, and each visited repository's data directory.
        assertThat(entries.get()).isLessThan(100);

        // The last page: nothing after it, and no call beyond the namespace it ends in.
        before = checked.stats().calls(StorageStats.Operation.LIST);
        assertThat(catalog.list("ns29/app17", 5))
                .isEqualTo(new Catalog.Page(List.of("ns29/app18", "ns29/app19"), false));
        assertThat(checked.stats().calls(StorageStats.Operation.LIST) - before).isLessThanOrEqualTo(5);
    }

    @Test
    void aVisibilityThatRulesOutSubtreesSkipsThemUnread() throws IOException {
        CheckedStorageDriver checked = driver();
        for (int ns = 0; ns < 30; ns++) {
            for (int repo = 0; repo < 20; repo++) {
                repository(checked, "ns%02d/app%02d".formatted(ns, repo));
            }
        }
        Catalog catalog = new Catalog(checked);
        Catalog.Visibility onlyNs29 = new Catalog.Visibility() {
            @Override
            public boolean test(String name) {
                return name.startsWith("ns29/");
            }

            @Override
            public boolean mayShowUnder(String prefix) {
                return prefix.startsWith("ns29/") || "ns29/".startsWith(prefix);
            }
        };
        long before = checked.stats().calls(StorageStats.Operation.LIST);

        assertThat(catalog.list(null, 3, onlyNs29).names()).containsExactly("ns29/app00", "ns29/app01", "ns29/app02");
        // The repositories root, ns29 and four of its repositories; the other 29 namespaces are never read.
        assertThat(checked.stats().calls(StorageStats.Operation.LIST) - before).isLessThanOrEqualTo(6);
        assertThat(allPages(catalog, 7, onlyNs29)).hasSize(20).allMatch(name -> name.startsWith("ns29/"));
    }

    private static List<String> allPages(Catalog catalog, int n, Predicate<String> visible) throws IOException {
        List<String> all = new ArrayList<>();
        String last = null;
        for (int pages = 0; pages < 100; pages++) {
            Catalog.Page page = catalog.list(last, n, visible);
            assertThat(page.names()).hasSizeLessThanOrEqualTo(n);
            all.addAll(page.names());
            if (!page.more()) {
                return all;
            }
            last = page.names().get(page.names().size() - 1);
        }
        throw new AssertionError("paging did not end: " + all);
    }

    @Test
    void aDriverThatListsAfterANameServesAPageOfAWideDirectoryWithoutReadingAllOfIt() throws IOException {
        CheckedStorageDriver checked = driver();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String name = i % 3 == 0 ? "ns%03d/app".formatted(i) : "flat%03d".formatted(i);
            repository(checked, name);
            names.add(name);
        }
        AtomicLong entries = new AtomicLong();
        Catalog catalog = new Catalog(countingEntries(checked, entries));
        List<String> sorted = names.stream().sorted().toList();

        assertThat(allPages(catalog, 7, name -> true)).isEqualTo(sorted);
        assertThat(allPages(catalog, 100, name -> !name.contains("5")))
                .isEqualTo(sorted.stream().filter(name -> !name.contains("5")).toList());
        entries.set(0);
        Catalog.Page page = catalog.list("flat151", 5);

        assertThat(page.names()).containsExactly("flat152", "flat154", "flat155", "flat157", "flat158");
        // A few chunks of the 300-entry directory, plus each repository's data directory: not all 300.
        assertThat(entries.get()).isLessThan(150);
    }

    /** The driver, counting every entry its {@code list} (and {@code listAfter}, if it has it) calls return. */
    private static StorageDriver countingEntries(StorageDriver driver, AtomicLong entries) {
        Class<?>[] interfaces = driver instanceof OrderedListCapable
                ? new Class<?>[] {StorageDriver.class, OrderedListCapable.class}
                : new Class<?>[] {StorageDriver.class};
        return (StorageDriver) Proxy.newProxyInstance(
                StorageDriver.class.getClassLoader(), interfaces, (proxy, method, args) -> {
                    try {
                        Object result = method.invoke(driver, args);
                        if (method.getName().startsWith("list") && result instanceof List<?> list) {
                            entries.addAndGet(list.size());
                        }
                        return result;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
