package dev.berth.registry.security;

import static dev.berth.registry.security.SecurityTestSupport.basic;
import static dev.berth.registry.security.SecurityTestSupport.htpasswdLine;
import static dev.berth.registry.security.SecurityTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.registry.testing.LogCapture;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.bean.override.convention.TestBean;

/**
 * {@code berth.auth.mode=htpasswd}: Basic challenges, bcrypt users from a file that is reloaded when it changes,
 * access rules, throttling of password guessing, audit lines naming the user, and real clients logging in.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class HtpasswdAuthTest {
    static final String CHALLENGE = "Basic realm=\"Berth Registry\"";

    @TempDir
    static Path dir;

    @LocalServerPort
    int port;

    @Autowired
    FailureThrottle throttle;

    /** The hash of every bcrypt comparison the registry made. */
    static final List<String> CHECKED = new CopyOnWriteArrayList<>();

    @TestBean(name = "htpasswdFile")
    HtpasswdFile htpasswdFile;

    static HtpasswdFile htpasswdFile() {
        return SecurityTestSupport.recordingHtpasswd(dir.resolve("htpasswd"), Duration.ZERO, CHECKED);
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        Path htpasswd = dir.resolve("htpasswd");
        Files.write(
                htpasswd,
                List.of(
                        htpasswdLine("alice", "alice-secret"),
                        htpasswdLine("bob", "bob-secret"),
                        "# a comment",
                        "legacy:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="));
        registry.add("berth.storage.filesystem.root", () -> dir.resolve("data").toString());
        registry.add("berth.auth.mode", () -> "htpasswd");
        registry.add("berth.auth.htpasswd.path", htpasswd::toString);
        registry.add("berth.auth.htpasswd.reload-interval", () -> "0s");
        registry.add("berth.auth.throttle.max-failures", () -> "5");
        registry.add("berth.auth.throttle.window", () -> "1m");
        registry.add("berth.auth.groups.admins", () -> "alice");
        registry.add("berth.auth.rules[0].groups", () -> "admins");
        registry.add("berth.auth.rules[0].repository", () -> "**");
        registry.add("berth.auth.rules[0].actions", () -> "*");
        registry.add("berth.auth.rules[1].groups", () -> "admins");
        registry.add("berth.auth.rules[1].type", () -> "registry");
        registry.add("berth.auth.rules[1].repository", () -> "catalog");
        registry.add("berth.auth.rules[1].actions", () -> "*");
        registry.add("berth.auth.rules[2].users", () -> "bob,carol");
        registry.add("berth.auth.rules[2].repository", () -> "team/*");
        registry.add("berth.auth.rules[2].actions", () -> "pull");
        registry.add("berth.auth.rules[3].repository", () -> "public/**");
        registry.add("berth.auth.rules[3].anonymous", () -> "true");
    }

    @BeforeEach
    @AfterEach
    void forgetFailures() {
        throttle.clear();
    }

    @Test
    void baseWithoutCredentialsIsChallenged() throws Exception {
        HttpResponse<String> response = send(port, "GET", "/v2/", null);
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue(CHALLENGE);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(response.body()).contains("\"code\":\"UNAUTHORIZED\"");
    }

    @Test
    void baseWithGoodCredentialsIsOpen() throws Exception {
        assertThat(send(port, "GET", "/v2/", basic("alice", "alice-secret")).statusCode())
                .isEqualTo(200);
        // Second time from the cache of verified passwords.
        assertThat(send(port, "GET", "/v2/", basic("alice", "alice-secret")).statusCode())
                .isEqualTo(200);
    }

    @Test
    void wrongPasswordUnknownUserAndWeakHashesAreRejected() throws Exception {
        for (String authorization : List.of(
                basic("alice", "wrong"),
                basic("alice", "alice-secret "),
                basic("mallory", "alice-secret"),
                basic("legacy", "password"),
                "Basic !!notbase64",
                "Bearer some.token.here")) {
            HttpResponse<String> response = send(port, "GET", "/v2/", authorization);
            assertThat(response.statusCode()).as(authorization).isEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate"))
                    .as(authorization)
                    .hasValue(CHALLENGE);
            assertThat(response.body()).contains("UNAUTHORIZED");
        }
    }

    @Test
    void anUnknownUserCostsABcryptOfTheUsersCost() throws Exception {
        CHECKED.clear();
        assertThat(send(port, "GET", "/v2/", basic("mallory", "alice-secret")).statusCode())
                .isEqualTo(401);
        assertThat(CHECKED)
                .singleElement()
                .satisfies(hash -> assertThat(HtpasswdFile.cost(hash)).isEqualTo(SecurityTestSupport.TEST_COST));
    }

    @Test
    void protectedRoutesNeedCredentialsThenPass() throws Exception {
        String manifest = "/v2/team/app/manifests/latest";
        HttpResponse<String> anonymous = send(port, "HEAD", manifest, null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue(CHALLENGE);
        for (String method : List.of("GET", "HEAD", "PUT", "DELETE")) {
            HttpResponse<String> response = send(port, method, manifest, basic("alice", "alice-secret"));
            assertThat(response.statusCode()).as(method).isNotIn(401, 403);
        }
        assertThat(send(port, "GET", "/v2/team/app/tags/list", basic("bob", "bob-secret"))
                        .statusCode())
                .isNotIn(401, 403);
    }

    @Test
    void pathTricksDoNotSlipPastTheChain() throws Exception {
        for (String path : List.of(
                "/v2;x=y/team/app/tags/list",
                "/v2/team/app;x=1/tags/list",
                "//v2/team/app/tags/list",
                "/v2/team/app/tags/list/",
                "/V2/team/app/tags/list",
                "/v2/team/app/tags/list?x=/../../public/a",
                "/v2/./team/app/tags/list",
                "/v2/public/../team/app/tags/list",
                "/v2/public/%2e%2e/team/app/tags/list")) {
            int status = SecurityTestSupport.rawStatus(port, "GET " + path + " HTTP/1.1");
            assertThat(status).as(path).isIn(400, 401, 404);
        }
    }

    @Test
    void rulesDecideWhatAUserMayDo() throws Exception {
        String bob = basic("bob", "bob-secret");
        HttpResponse<String> push = send(port, "PUT", "/v2/team/app/manifests/latest", bob);
        assertThat(push.statusCode()).isEqualTo(403);
        assertThat(push.body()).contains("\"code\":\"DENIED\"");
        assertThat(send(port, "DELETE", "/v2/team/app/manifests/latest", bob).statusCode())
                .isEqualTo(403);
        // team/* does not reach into nested repositories
        assertThat(send(port, "GET", "/v2/team/app/sub/tags/list", bob).statusCode())
                .isEqualTo(403);
        assertThat(send(port, "GET", "/v2/other/tags/list", bob).statusCode()).isEqualTo(403);
        // The catalog is open to every user, and lists only what each may pull (CatalogVisibilityTest).
        HttpResponse<String> catalog = send(port, "GET", "/v2/_catalog", bob);
        assertThat(catalog.statusCode()).isEqualTo(200);
        assertThat(CatalogVisibilityTest.names(catalog.body()))
                .allMatch(name -> name.startsWith("public/") || name.matches("team/[^/]+"));
        assertThat(send(port, "GET", "/v2/_catalog", basic("alice", "alice-secret"))
                        .statusCode())
                .isNotIn(401, 403);
        // a mount passes the chain on push to the target (CrossMountHtpasswdTest decides the source)
        String mount = "/v2/team/app/blobs/uploads/?mount=sha256:" + "a".repeat(64) + "&from=secret/app";
        assertThat(send(port, "POST", mount, basic("alice", "alice-secret")).statusCode())
                .isNotIn(401, 403);
    }

    @Test
    void anonymousPullFollowsTheRules() throws Exception {
        assertThat(send(port, "GET", "/v2/public/tools/tags/list", null).statusCode())
                .isNotIn(401, 403);
        assertThat(send(port, "HEAD", "/v2/public/tools/manifests/v1", null).statusCode())
                .isNotIn(401, 403);
        HttpResponse<String> push = send(port, "PUT", "/v2/public/tools/manifests/v1", null);
        assertThat(push.statusCode()).isEqualTo(401);
        assertThat(push.headers().firstValue("WWW-Authenticate")).hasValue(CHALLENGE);
        assertThat(send(port, "GET", "/v2/team/app/tags/list", null).statusCode())
                .isEqualTo(401);
    }

    @Test
    void fileChangesAreNoticed() throws Exception {
        Path file = dir.resolve("htpasswd");
        String carol = basic("carol", "carol-secret");
        assertThat(send(port, "GET", "/v2/", carol).statusCode()).isEqualTo(401);
        List<String> original = Files.readAllLines(file);
        Files.writeString(file, htpasswdLine("carol", "carol-secret") + "\n", StandardOpenOption.APPEND);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        try {
            assertThat(send(port, "GET", "/v2/", carol).statusCode()).isEqualTo(200);
            assertThat(send(port, "GET", "/v2/team/app/tags/list", carol).statusCode())
                    .isNotIn(401, 403);
        } finally {
            Files.write(file, original);
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(10)));
        }
        // Removing the user takes effect although its password was cached.
        assertThat(send(port, "GET", "/v2/", carol).statusCode()).isEqualTo(401);
    }

    @Test
    void entriesWrittenByHtpasswdWork() throws Exception {
        Path htpasswd = SecurityTestSupport.which("htpasswd");
        assumeTrue(htpasswd != null, "htpasswd (apache2-utils) not installed");
        Path file = dir.resolve("htpasswd");
        List<String> original = Files.readAllLines(file);
        SecurityTestSupport.Run run = SecurityTestSupport.run(
                dir, List.of(htpasswd.toString(), "-B", "-b", file.toString(), "dave", "dave-secret"));
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(Files.readString(file)).contains("dave:$2y$");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(20)));
        try {
            assertThat(send(port, "GET", "/v2/", basic("dave", "dave-secret")).statusCode())
                    .isEqualTo(200);
            assertThat(send(port, "GET", "/v2/", basic("dave", "nope")).statusCode())
                    .isEqualTo(401);
        } finally {
            Files.write(file, original);
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(30)));
        }
    }

    @Test
    void repeatedFailuresAreThrottled() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(send(port, "GET", "/v2/", basic("alice", "guess" + i)).statusCode())
                    .isEqualTo(401);
        }
        // Even the right password is refused now, without being checked.
        HttpResponse<String> throttled = send(port, "GET", "/v2/", basic("alice", "alice-secret"));
        assertThat(throttled.statusCode()).isEqualTo(429);
        assertThat(throttled.body()).contains("\"code\":\"TOOMANYREQUESTS\"");
        assertThat(throttled.headers().firstValue("Retry-After"))
                .hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isBetween(1L, 60L));
        // Anonymous requests are unaffected.
        assertThat(send(port, "GET", "/v2/public/tools/tags/list", null).statusCode())
                .isNotIn(401, 403, 429);
        throttle.clear();
        assertThat(send(port, "GET", "/v2/", basic("alice", "alice-secret")).statusCode())
                .isEqualTo(200);
    }

    @Test
    void writesAreAuditedWithTheUser() throws Exception {
        try (LogCapture audit = LogCapture.start("berth.audit")) {
            send(port, "PUT", "/v2/team/app/manifests/v2", basic("alice", "alice-secret"));
            send(port, "PUT", "/v2/team/app/manifests/v2", basic("bob", "bob-secret"));
            send(port, "DELETE", "/v2/team/app/manifests/v2", null);
            assertThat(audit.lines()).hasSize(3);
            assertThat(audit.lines().get(0))
                    .startsWith("event=tag method=PUT route=MANIFEST repository=team/app")
                    .contains(" user=alice ", " remote=127.0.0.1 ");
            assertThat(audit.lines().get(1)).contains(" status=403 user=bob ");
            assertThat(audit.lines().get(2)).startsWith("event=delete-manifest").contains(" status=401 user=- ");
        }
    }

    @Test
    void skopeoAndPodmanLogIn() throws Exception {
        RealClients.assumeSkopeo();
        String registry = "127.0.0.1:" + port;
        assertThat(RealClients.login("skopeo", dir, registry, "alice", "alice-secret")
                        .exit())
                .isZero();
        assertThat(RealClients.login("skopeo", dir, registry, "alice", "wrong").exit())
                .isNotZero();
        if (SecurityTestSupport.which("podman") != null) {
            SecurityTestSupport.Run podman = RealClients.login("podman", dir, registry, "bob", "bob-secret");
            assertThat(podman.exit()).as(podman.output()).isZero();
            assertThat(RealClients.login("podman", dir, registry, "bob", "wrong")
                            .exit())
                    .isNotZero();
        }
    }

    @Test
    void skopeoPushesAndPulls() throws Exception {
        RealClients.assumeSkopeo();
        RealClients.assertRegistryAcceptsUploads(port, basic("alice", "alice-secret"));
        RealClients.pushAndPull(dir, "127.0.0.1:" + port, "team/app", "alice:alice-secret");
    }
}
