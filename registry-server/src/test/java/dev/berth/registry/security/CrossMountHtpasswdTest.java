package dev.berth.registry.security;

import static dev.berth.registry.security.SecurityTestSupport.basic;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The cross-repository mount rule with {@code berth.auth.mode=htpasswd}: Basic users checked against the rules. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class CrossMountHtpasswdTest extends CrossMountContract {
    @TempDir
    static Path dir;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        commonProperties(registry, dir);
        registry.add("berth.auth.mode", () -> "htpasswd");
    }

    @Override
    String authorization(String user, String target, String from) {
        return basic(user, user + "-secret");
    }
}
