package dev.berth.registry.security;

import static dev.berth.registry.security.SecurityTestSupport.basic;
import static dev.berth.registry.security.SecurityTestSupport.htpasswdLine;
import static dev.berth.registry.security.SecurityTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.storage.RegistryLayout;
import dev.berth.storage.StorageDriver;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code /v2/_catalog} in htpasswd mode lists, for each caller, the repositories it may pull: different users see
 * different names, anonymous clients see what anyone may pull, a catalog grant shows everything, and following
 * the Link headers returns every visible name once, in order.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class CatalogVisibilityTest {
    static final List<String> ALL =
            List.of("public/p1", "public/p2", "secret/s", "team/a", "team/b", "team/c/d", "tools/x", "tools/y/z");
    static final String ALICE = basic("alice", "alice-secret");
    static final String BOB = basic("bob", "bob-secret");
    static final String CAROL = basic("carol", "carol-secret");
    static final Pattern NEXT = Pattern.compile("<([^>]+)>; rel=\"next\"");

    @TempDir
    static Path dir;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        Path htpasswd = dir.resolve("htpasswd");
        Files.write(
                htpasswd,
                List.of(
                        htpasswdLine("alice", "alice-secret"),
                        htpasswdLine("bob", "bob-secret"),
                        htpasswdLine("carol", "carol-secret")));
        registry.add("berth.storage.filesystem.root", () -> dir.resolve("data").toString());
        registry.add("berth.auth.mode", () -> "htpasswd");
        registry.add("berth.auth.htpasswd.path", htpasswd::toString);
        registry.add("berth.auth.rules[0].users", () -> "alice");
        registry.add("berth.auth.rules[0].repository", () -> "team/**");
        registry.add("berth.auth.rules[0].actions", () -> "pull,push");
        registry.add("berth.auth.rules[1].users", () -> "bob");
        registry.add("berth.auth.rules[1].repository", () -> "tools/*");
        registry.add("berth.auth.rules[1].actions", () -> "pull");
        // Push without pull shows nothing.
        registry.add("berth.auth.rules[2].users", () -> "bob");
        registry.add("berth.auth.rules[2].repository", () -> "secret/**");
        registry.add("berth.auth.rules[2].actions", () -> "push");
        registry.add("berth.auth.rules[3].users", () -> "carol");
        registry.add("berth.auth.rules[3].type", () -> "registry");
        registry.add("berth.auth.rules[3].repository", () -> "catalog");
        registry.add("berth.auth.rules[3].actions", () -> "*");
        registry.add("berth.auth.rules[4].repository", () -> "public/**");
        registry.add("berth.auth.rules[4].anonymous", () -> "true");
    }

    @BeforeAll
    static void repositories(@Autowired StorageDriver driver) throws Exception {
        for (String name : ALL) {
            driver.putContent(
                    RegistryLayout.repository(name) + "/_manifests/tags/latest/current/link",
                    "sha256:0".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void eachUserSeesTheRepositoriesItMayPull() throws Exception {
        assertThat(catalog(ALICE)).containsExactly("public/p1", "public/p2", "team/a", "team/b", "team/c/d");
        assertThat(catalog(BOB)).containsExactly("public/p1", "public/p2", "tools/x");
        assertThat(catalog(CAROL)).as("a catalog grant shows every name").isEqualTo(ALL);
    }

    @Test
    void anonymousClientsSeeWhatAnyoneMayPull() throws Exception {
        assertThat(catalog(null)).containsExactly("public/p1", "public/p2");
    }

    @Test
    void pagingReturnsEveryVisibleNameOnceInOrder() throws Exception {
        for (int n = 1; n <= 3; n++) {
            List<String> names = new ArrayList<>();
            String next = "/v2/_catalog?n=" + n;
            int pages = 0;
            while (next != null) {
                HttpResponse<String> page = send(port, "GET", next, ALICE);
                assertThat(page.statusCode()).as("%s: %s", next, page.body()).isEqualTo(200);
                List<String> got = names(page.body());
                assertThat(got).hasSizeLessThanOrEqualTo(n);
                names.addAll(got);
                next = page.headers()
                        .firstValue("Link")
                        .map(link -> {
                            Matcher m = NEXT.matcher(link);
                            assertThat(m.matches()).as(link).isTrue();
                            return m.group(1);
                        })
                        .orElse(null);
                assertThat(++pages).isLessThan(10);
            }
            assertThat(names)
                    .as("pages of %d", n)
                    .containsExactly("public/p1", "public/p2", "team/a", "team/b", "team/c/d");
        }
        HttpResponse<String> after = send(port, "GET", "/v2/_catalog?n=2&last=team/a", ALICE);
        assertThat(names(after.body())).containsExactly("team/b", "team/c/d");
        assertThat(after.headers().firstValue("Link")).isEmpty();
    }

    private List<String> catalog(String authorization) throws Exception {
        HttpResponse<String> response = send(port, "GET", "/v2/_catalog", authorization);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return names(response.body());
    }

    static List<String> names(String body) {
        JsonNode json = JsonMapper.builder().build().readTree(body);
        List<String> names = new ArrayList<>();
        json.get("repositories").forEach(n -> names.add(n.asString()));
        return names;
    }
}
