package dev.berth.registry.security;

import static dev.berth.registry.security.SecurityTestSupport.basic;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.testing.Resp;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The cross-repository mount rule with {@code berth.auth.mode=token} and the built-in issuer: the token grants
 * what the rules allow of what the client asked for, and the mount is decided on the token's grants.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class CrossMountTokenTest extends CrossMountContract {
    @TempDir
    static Path dir;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        commonProperties(registry, dir);
        registry.add("berth.auth.mode", () -> "token");
        registry.add("berth.auth.token.issuer-endpoint.enabled", () -> "true");
    }

    @Override
    String authorization(String user, String target, String from) {
        String query = "service=berth-registry&scope=" + enc("repository:" + target + ":pull,push")
                + (from == null ? "" : "&scope=" + enc("repository:" + from + ":pull"));
        Resp token = send("GET", "/auth/token?" + query, null, basic(user, user + "-secret"));
        assertThat(token.status()).as("%s", token).isEqualTo(200);
        return "Bearer " + token.json().get("token").asString();
    }

    @Test
    void theChallengeOfAMountAsksForPullOnItsSource() {
        Resp challenge =
                send("POST", "/v2/bob/x/blobs/uploads/?mount=sha256:" + "a".repeat(64) + "&from=team/b", null, null);
        assertThat(challenge.status()).isEqualTo(401);
        assertThat(challenge.header("WWW-Authenticate"))
                .contains("scope=\"repository:bob/x:pull,push repository:team/b:pull\"");
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
