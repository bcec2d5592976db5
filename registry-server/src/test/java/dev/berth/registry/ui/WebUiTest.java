package dev.berth.registry.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.registry.it.OciContent;
import dev.berth.registry.it.RegistryHttp;
import dev.berth.registry.manifest.Catalog;
import dev.berth.registry.manifest.ManifestStore;
import dev.berth.registry.manifest.TagStore;
import dev.berth.registry.security.AccessPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntry;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.security.crypto.bcrypt.BCrypt;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The web UI in real headless Chromium against a real registry on a random port, with htpasswd users: {@code admin}
 * (admin grant, everything), {@code alice} (everything on every repository), {@code bob} (pull only), and
 * anonymous pulls of {@code public/**}. Images are pushed through the HTTP API; the 5,000 tags and 10,000
 * repositories of the scale checks are written through the registry's own stores.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebUiTest {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(WebUiTest.class);
    static final Path ROOT = tempDir("berth-ui");
    static final String XSS = "<img src=x onerror=alert(1)>";
    static final int MANY_TAGS = 5_000;
    static final int MANY_REPOSITORIES = 10_000;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws IOException {
        Path htpasswd = ROOT.resolve("htpasswd");
        Files.writeString(
                htpasswd,
                String.join("\n", line("admin", "admin-pw"), line("alice", "alice-pw"), line("bob", "bob-pw")) + "\n");
        registry.add("berth.storage.filesystem.root", () -> ROOT.resolve("data").toString());
        registry.add("berth.auth.mode", () -> "htpasswd");
        registry.add("berth.auth.htpasswd.path", htpasswd::toString);
        registry.add("berth.auth.admin-users", () -> "admin");
        registry.add("berth.auth.rules[0].users", () -> "admin,alice");
        registry.add("berth.auth.rules[0].actions", () -> "*");
        registry.add("berth.auth.rules[1].users", () -> "bob");
        registry.add("berth.auth.rules[1].actions", () -> "pull");
        registry.add("berth.auth.rules[2].repository", () -> "public/**");
        registry.add("berth.auth.rules[2].anonymous", () -> "true");
    }

    @LocalServerPort
    int port;

    @Autowired
    TagStore tagStore;

    @Autowired
    ManifestStore manifestStore;

    @Autowired
    AccessPolicy policy;

    @Autowired
    Catalog catalog;

    HeadlessChromium browser;
    RegistryHttp http;
    OciContent.Blob index;

    @BeforeAll
    void seed() throws IOException {
        http = new RegistryHttp(() -> URI.create("http://127.0.0.1:" + port), basic("admin", "admin-pw"));
        UiTestImages images = new UiTestImages(http);
        index = images.multiPlatform("demo/app", "1.0", UiTestImages.Runtime.plain("app"), "amd64", "arm64");
        images.referrer("demo/app", index, UiTestImages.SIGNATURE_TYPE, Map.of("org.example.signer", "ci"));
        images.multiPlatform("public/hello", "latest", UiTestImages.Runtime.plain("hello"), "amd64");
        for (String tag : List.of("keep", "remove-me")) {
            OciContent.Image image = images.image("demo/deletable", "amd64", UiTestImages.Runtime.plain("d"), Map.of());
            images.putManifest("demo/deletable", tag, image.manifest());
        }
        OciContent.Image evil = images.image(
                "evil/xss",
                "amd64",
                new UiTestImages.Runtime(
                        List.of("/bin/sh", "-c", XSS),
                        List.of(XSS),
                        List.of("X=" + XSS),
                        Map.of(XSS, XSS),
                        List.of(XSS),
                        List.of(XSS, XSS, XSS)),
                Map.of("org.opencontainers.image.description", XSS));
        images.putManifest("evil/xss", "latest", evil.manifest());
        images.referrer("evil/xss", evil.manifest(), UiTestImages.SIGNATURE_TYPE, Map.of(XSS, XSS));

        // Scale: one repository with 5,000 tags and 10,000 one-tag repositories, written through the registry's
        // stores (each write is fsync'ed, so many at once).
        OciContent.Image big = images.image("big/tags", "amd64", UiTestImages.Runtime.plain("big"), Map.of());
        Digest bigDigest = Digest.parse(big.manifest().digest());
        long started = System.nanoTime();
        inParallel(MANY_TAGS, i -> tagStore.tag("big/tags", String.format("t%05d", i), bigDigest));
        byte[] bigManifest = big.manifest().content();
        inParallel(MANY_REPOSITORIES, i -> {
            String name = String.format("scale/repo-%05d", i);
            manifestStore.put(name, bigManifest, OciContent.MANIFEST, bigDigest);
            tagStore.tag(name, "latest", bigDigest);
        });
        log.info(
                "seeded {} tags and {} repositories in {} ms",
                MANY_TAGS,
                MANY_REPOSITORIES,
                (System.nanoTime() - started) / 1_000_000);
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) { // the catalog listing the repository page builds on
            long listing = System.nanoTime();
            catalog.list(null, 25);
            best = Math.min(best, System.nanoTime() - listing);
        }
        log.info("latency Catalog.list(null, 25): {} ms", best / 1_000_000);
        logLatency("/ui/api/repositories?n=25");
        logLatency("/ui/api/tags?repository=big/tags&n=50");
        logLatency("/ui/api/tags?repository=big/tags&n=50&sort=pushed&order=desc");
        browser = new HeadlessChromium("http://127.0.0.1:" + port);
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.close();
        }
    }

    @BeforeEach
    void freshSession() {
        browser.resize(1280, 800);
        browser.logOut();
    }

    @Test
    void anonymousVisitorsSeeOnlyWhatAnonymousPullsAllow() {
        browser.open("repositories");
        List<String> names = repositoryNames();
        assertThat(names).containsExactly("public/hello");
        assertThat(browser.find(By.id("nav-login")).isDisplayed()).isTrue();
        assertThat(browser.all(By.id("nav-admin")).get(0).isDisplayed()).isFalse();

        // Keyboard only: from the search field, Tab past its button to the first repository and press Enter.
        WebElement search = browser.find(By.id("repo-search"));
        search.click();
        search.sendKeys(Keys.TAB);
        browser.driver().switchTo().activeElement().sendKeys(Keys.TAB);
        WebElement focused = browser.driver().switchTo().activeElement();
        assertThat(focused.getText()).isEqualTo("public/hello");
        focused.sendKeys(Keys.ENTER);
        browser.waitForText(By.tagName("h1"), "public/hello");
        assertThat(browser.find(By.id("tags")).getText()).contains("latest", "linux/amd64");
    }

    @Test
    void logInWithAWrongPasswordThenTheRightOne() {
        browser.logIn("alice", "wrong");
        browser.waitForText(By.id("login-error"), "Wrong user name or password");
        assertThat(browser.find(By.id("login-password")).getAttribute("value")).isEmpty();
        assertThat(browser.script("return sessionStorage.length")).isEqualTo(0L);

        browser.find(By.id("login-password")).sendKeys("alice-pw");
        browser.click(By.id("login-submit"));
        browser.waitForText(By.id("who-name"), "Signed in as alice");
        browser.settle();
        assertThat(repositoryNames()).contains("demo/app", "evil/xss", "public/hello");
        // Credentials are kept in sessionStorage only: no cookie at all.
        assertThat(browser.driver().manage().getCookies()).isEmpty();
    }

    @Test
    void browseToARepositoryThenAnIndexThenAPlatformManifest() {
        browser.signIn("bob", "bob-pw");
        browser.open("repositories?q=demo%2Fapp");
        browser.click(By.linkText("demo/app"));
        browser.settle();
        assertThat(browser.find(By.tagName("h1")).getText()).isEqualTo("demo/app");
        WebElement row = browser.find(By.cssSelector("#tags tbody tr"));
        assertThat(row.getText()).contains("1.0", "linux/amd64, linux/arm64", "2026-01-02 03:04:05Z");
        browser.screenshot("repository");

        browser.click(By.linkText("1.0"));
        browser.settle();
        assertThat(browser.find(By.tagName("h1")).getText()).isEqualTo("demo/app:1.0");
        assertThat(browser.find(By.id("manifest-digest")).getText()).isEqualTo(index.digest());
        assertThat(texts("#platforms .platform-link")).containsExactly("linux/amd64", "linux/arm64");
        assertThat(browser.find(By.id("referrers")).getText()).contains(UiTestImages.SIGNATURE_TYPE);
        List<String> pulls = browser.all(By.cssSelector(".copy input")).stream()
                .map(e -> e.getAttribute("value"))
                .toList();
        String host = "127.0.0.1:" + port;
        assertThat(pulls)
                .contains(
                        "docker pull " + host + "/demo/app:1.0",
                        "docker pull " + host + "/demo/app@" + index.digest(),
                        "podman pull --tls-verify=false " + host + "/demo/app:1.0",
                        "ctr images pull --plain-http " + host + "/demo/app@" + index.digest(),
                        "berth-pull pull --plain-http " + host + "/demo/app:1.0");
        assertThat(browser.all(By.id("delete-tag"))).isEmpty();
        browser.screenshot("index");

        browser.click(By.linkText("linux/arm64"));
        browser.settle();
        assertThat(texts("#layers tbody tr"))
                .hasSize(2)
                .allSatisfy(l -> assertThat(l).contains("application/vnd.oci.image.layer.v1.tar+gzip"));
        String page = browser.find(By.id("main")).getText();
        assertThat(page).contains("[\"/bin/app\"]", "[\"--serve\"]", "8080/tcp", "/srv", "linux/arm64");
        assertThat(texts("#env li")).containsExactly("PATH=/usr/bin", "APP=app");
        assertThat(texts("#labels tbody tr")).containsExactly("org.example.team\tberth");
        List<String> history = texts("#history tbody tr");
        assertThat(history).hasSize(3);
        assertThat(history.get(1)).contains("ENV APP=app", "—");
        assertThat(history.get(2)).contains("COPY app /bin/app").doesNotContain("—");
        browser.screenshot("manifest", "h2");

        // Readable at 375 px: nothing wider than the screen but the tables' own scroll boxes.
        browser.resize(375, 800);
        assertThat(browser.script("return document.documentElement.scrollWidth <= window.innerWidth"))
                .isEqualTo(true);
        browser.screenshot("manifest-375");
    }

    @Test
    void searchFindsRepositoriesAmongTenThousand() {
        browser.signIn("alice", "alice-pw");
        logRender("repositories?n=25");
        assertThat(repositoryNames()).hasSize(25).contains("big/tags", "demo/app");
        WebElement search = browser.find(By.id("repo-search"));
        search.sendKeys("repo-0999");
        search.sendKeys(Keys.ENTER); // keyboard only
        browser.waitUntil(d -> repositoryNames().size() == 10);
        assertThat(repositoryNames()).allMatch(n -> n.startsWith("scale/repo-0999"));
        browser.screenshot("search");

        browser.open("repositories?q=scale%2F");
        assertThat(repositoryNames()).first().isEqualTo("scale/repo-00000");
        browser.click(By.id("repos-next"));
        browser.waitUntil(d -> repositoryNames().get(0).equals("scale/repo-00025"));
        browser.click(By.id("repos-prev"));
        browser.waitUntil(d -> repositoryNames().get(0).equals("scale/repo-00000"));
    }

    @Test
    void pageThroughFiveThousandTags() {
        browser.signIn("bob", "bob-pw");
        logRender("repository?name=big%2Ftags");
        assertThat(browser.find(By.id("tags-position")).getText()).isEqualTo("Page 1 of 100 (5000 tags)");
        assertThat(tagNames()).hasSize(50).first().isEqualTo("t00000");
        browser.click(By.id("tags-next"));
        browser.waitForText(By.id("tags-position"), "Page 2 of 100");
        assertThat(tagNames().get(0)).isEqualTo("t00050");
        browser.click(By.id("tags-last"));
        browser.waitForText(By.id("tags-position"), "Page 100 of 100");
        assertThat(tagNames()).last().isEqualTo("t04999");
        assertThat(browser.find(By.id("tags-next")).isEnabled()).isFalse();
        browser.click(By.id("sort-name"));
        browser.waitForText(By.id("tags-position"), "Page 1 of 100");
        browser.waitUntil(d -> tagNames().get(0).equals("t04999"));
        assertThat(browser.find(By.cssSelector("#tags th[aria-sort='descending']"))
                        .getText())
                .contains("Tag");
        browser.screenshot("tags");
    }

    @Test
    void anAllowedUserDeletesATagAndAPullOnlyUserSeesNoDeleteControl() {
        browser.signIn("bob", "bob-pw");
        browser.open("repository?name=demo%2Fdeletable");
        assertThat(tagNames()).containsExactly("keep", "remove-me");
        assertThat(browser.all(By.cssSelector(".delete-tag"))).isEmpty();
        browser.open("manifest?name=demo%2Fdeletable&ref=remove-me");
        assertThat(browser.all(By.id("delete-tag"))).isEmpty();
        assertThat(browser.all(By.id("delete-manifest"))).isEmpty();

        browser.logOut();
        browser.signIn("alice", "alice-pw");
        browser.open("repository?name=demo%2Fdeletable");
        browser.click(By.cssSelector("button[aria-label='Delete tag remove-me']"));
        browser.click(By.cssSelector("button[aria-label='Confirm deleting tag remove-me']"));
        browser.waitUntil(d -> tagNames().equals(List.of("keep")));
        RegistryHttp.Response tags = http.get("/v2/demo/deletable/tags/list").send();
        assertThat(tags.json().get("tags").toString()).isEqualTo("[\"keep\"]");
    }

    @Test
    void valuesFromImagesAreShownAsTextAndNoScriptRuns() {
        browser.signIn("alice", "alice-pw");
        browser.console(); // drop what earlier pages logged
        browser.open("manifest?name=evil%2Fxss&ref=latest");
        String text = browser.find(By.id("main")).getText();
        assertThat(text.split(java.util.regex.Pattern.quote(XSS), -1).length - 1)
                .isGreaterThanOrEqualTo(8);
        assertThat(browser.all(By.cssSelector("#main img"))).isEmpty();
        String referrer =
                browser.find(By.cssSelector("#referrers .referrer-link")).getText();
        browser.click(By.cssSelector("#referrers .referrer-link"));
        browser.settle();
        assertThat(browser.find(By.tagName("h1")).getText()).contains(referrer);
        assertThat(browser.all(By.cssSelector("#main img"))).isEmpty();
        assertThat(browser.dialogOpen()).isFalse();
        List<LogEntry> console = browser.console();
        assertThat(console)
                .as("console messages")
                .noneMatch(e -> e.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue());
    }

    @Test
    void anAdminRunsAGarbageCollectionDryRun() {
        browser.signIn("admin", "admin-pw");
        browser.click(By.id("nav-admin"));
        browser.settle();
        assertThat(browser.find(By.id("storage")).getText()).contains("big/tags", "demo/app");
        browser.click(By.id("gc-dry-run"));
        browser.waitForText(By.id("gc-report"), "Last report (dry run)");
        assertThat(browser.find(By.id("gc-report")).getText())
                .contains("Repositories scanned")
                .contains(String.valueOf(MANY_REPOSITORIES + 5));
        browser.screenshot("admin");
        browser.click(By.id("read-only"));
        browser.waitForText(By.id("status"), "Read-only mode is on");
        assertThat(http(basic("admin", "admin-pw"), "/admin/read-only")
                        .json()
                        .get("readOnly")
                        .asBoolean())
                .isTrue();
        browser.click(By.id("read-only"));
        browser.waitForText(By.id("status"), "Read-only mode is off");
        assertThat(http(basic("admin", "admin-pw"), "/admin/read-only")
                        .json()
                        .get("readOnly")
                        .asBoolean())
                .isFalse();
        // Pull-only users get no admin link, and the admin API refuses them.
        browser.logOut();
        browser.signIn("bob", "bob-pw");
        assertThat(browser.all(By.id("nav-admin")).get(0).isDisplayed()).isFalse();
        assertThat(http(basic("bob", "bob-pw"), "/admin/gc").status()).isEqualTo(403);
    }

    @Test
    void uiResponsesCarrySecurityHeadersAndRefuseWrongPasswords() {
        for (String path : List.of("/ui/", "/ui/app.js", "/ui/api/session")) {
            RegistryHttp.Response r = http(null, path);
            assertThat(r.status()).as(path).isEqualTo(200);
            assertThat(r.header("Content-Security-Policy"))
                    .contains("script-src 'self'", "object-src 'none'", "frame-ancestors 'none'")
                    .doesNotContain("unsafe-inline");
            assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
        }
        assertThat(http(null, "/ui/app.js").header("Content-Type")).startsWith("text/javascript");
        RegistryHttp.Response refused = http(basic("alice", "nope"), "/ui/api/session");
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.header("Content-Security-Policy")).contains("script-src 'self'");
        JsonNode anonymous = http(null, "/ui/api/repositories?q=demo").json();
        assertThat(anonymous.get("repositories")).isEmpty();
        assertThat(http(null, "/ui/api/tags?repository=demo/app").status()).isEqualTo(404);
        JsonNode bob =
                http(basic("bob", "bob-pw"), "/ui/api/tags?repository=demo/app").json();
        assertThat(bob.get("canDelete").asBoolean()).isFalse();
        assertThat(policy.allows("bob", "repository", "demo/app", "pull")).isTrue();
    }

    /** Opens a page and logs how long the browser took from the hash change to the rendered page. */
    private void logRender(String route) {
        browser.settle(); // the page the login went to has finished first
        browser.open(route);
        log.info("rendered #/{} in {} ms", route, browser.script("return document.body.dataset.renderMs"));
    }

    /** The first-page latency of a JSON endpoint (best of five, after a warm-up), for the report. */
    private void logLatency(String path) {
        http(basic("alice", "alice-pw"), path);
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long start = System.nanoTime();
            assertThat(http(basic("alice", "alice-pw"), path).status()).isEqualTo(200);
            best = Math.min(best, System.nanoTime() - start);
        }
        log.info("latency {}: {} ms", path, best / 1_000_000);
    }

    /** Runs {@code write(i)} for i in [0, n) on 16 threads. */
    private static void inParallel(int n, IntWrite write) {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int first = t;
                done.add(pool.submit(() -> {
                    for (int i = first; i < n; i += 16) {
                        write.run(i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    @FunctionalInterface
    private interface IntWrite {
        void run(int i) throws IOException;
    }

    private RegistryHttp.Response http(String authorization, String path) {
        RegistryHttp.Call call = new RegistryHttp(() -> URI.create("http://127.0.0.1:" + port)).get(path);
        if (authorization != null) {
            call.header("Authorization", authorization);
        }
        return call.send();
    }

    private List<String> repositoryNames() {
        return texts("#repositories .repo-link");
    }

    private List<String> tagNames() {
        return texts("#tags .tag-link");
    }

    /** The visible texts of the matching elements, read in one script call (no stale elements mid-render). */
    private List<String> texts(String css) {
        @SuppressWarnings("unchecked")
        List<String> texts = (List<String>) browser.script(
                "return Array.from(document.querySelectorAll(arguments[0]))" + ".map(e => e.innerText.trim())", css);
        return texts;
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String line(String user, String password) {
        return user + ":" + BCrypt.hashpw(password, BCrypt.gensalt(5));
    }

    private static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
