package dev.berth.registry.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.testing.Resp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.http.HttpRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.security.crypto.bcrypt.BCrypt;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Access rules see a cached repository under the one name it is stored under, whichever convention the client
 * used: anonymous pulls are allowed on {@code open/**} only, so the same upstream content is readable through
 * {@code open.test} (prefix and {@code ns=} forms) and refused through {@code closed.test}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ProxyAccessTest {
    @TempDir
    static Path dir;
    static LyingUpstream upstream;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        upstream = new LyingUpstream();
        Path htpasswd = dir.resolve("htpasswd");
        Files.writeString(htpasswd, "alice:" + BCrypt.hashpw("alice-secret", BCrypt.gensalt(5)) + "\n");
        registry.add("berth.storage.filesystem.root", () -> dir.resolve("data").toString());
        registry.add("berth.auth.mode", () -> "htpasswd");
        registry.add("berth.auth.htpasswd.path", htpasswd::toString);
        registry.add("berth.auth.rules[0].repository", () -> "open/**");
        registry.add("berth.auth.rules[0].actions", () -> "pull");
        registry.add("berth.auth.rules[0].anonymous", () -> "true");
        registry.add("berth.proxy.enabled", () -> "true");
        registry.add("berth.proxy.upstreams[0].name", () -> "open.test");
        registry.add("berth.proxy.upstreams[0].prefix", () -> "open");
        registry.add("berth.proxy.upstreams[0].url", upstream::url);
        registry.add("berth.proxy.upstreams[1].name", () -> "closed.test");
        registry.add("berth.proxy.upstreams[1].prefix", () -> "closed");
        registry.add("berth.proxy.upstreams[1].url", upstream::url);
        registry.add("berth.proxy.upstreams[1].default", () -> "true");
    }

    @AfterAll
    static void stop() {
        upstream.close();
    }

    Resp get(String path) {
        return new Images("http://127.0.0.1:" + port, null).send("GET", path, HttpRequest.BodyPublishers.noBody());
    }

    @Test
    void rulesApplyToTheCachedNameWhicheverConventionTheClientUses() {
        assertThat(get("/v2/open/lies/app/manifests/v1").status()).isEqualTo(200);
        assertThat(get("/v2/lies/app/manifests/v1?ns=open.test").status()).isEqualTo(200);

        Resp viaNamespace = get("/v2/lies/app/manifests/v1?ns=closed.test");
        assertThat(viaNamespace.status()).isEqualTo(401);
        assertThat(viaNamespace.text()).contains("closed/lies/app");
        // Unprefixed: the default upstream, whose prefix the rules do not open.
        assertThat(get("/v2/lies/app/manifests/v1").status()).isEqualTo(401);
        assertThat(get("/v2/closed/lies/app/manifests/v1").status()).isEqualTo(401);
    }
}
