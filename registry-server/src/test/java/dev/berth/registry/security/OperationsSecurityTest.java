package dev.berth.registry.security;

import static dev.berth.registry.security.SecurityTestSupport.basic;
import static dev.berth.registry.security.SecurityTestSupport.htpasswdLine;
import static dev.berth.registry.security.SecurityTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * With authentication on, {@code /admin/**} needs the admin grant (group {@code admins} or
 * {@code berth.auth.admin-users}), metrics need any authenticated user, and health probes and info stay open.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OperationsSecurityTest {
    @TempDir
    static Path dir;

    @LocalServerPort
    int port;

    @Autowired
    FailureThrottle throttle;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        Path htpasswd = dir.resolve("htpasswd");
        Files.write(htpasswd, List.of(htpasswdLine("alice", "a"), htpasswdLine("bob", "b"), htpasswdLine("ops", "o")));
        registry.add("berth.storage.filesystem.root", () -> dir.resolve("data").toString());
        registry.add("berth.auth.mode", () -> "htpasswd");
        registry.add("berth.auth.htpasswd.path", htpasswd::toString);
        registry.add("berth.auth.groups.admins", () -> "alice");
        registry.add("berth.auth.admin-users", () -> "ops");
    }

    @AfterEach
    void forgetFailures() {
        throttle.clear();
    }

    @Test
    void adminNeedsTheAdminGrant() throws Exception {
        HttpResponse<String> anonymous = send(port, "GET", "/admin/read-only", null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"Berth Registry\"");
        assertThat(send(port, "GET", "/admin/read-only", basic("bob", "b")).statusCode())
                .isEqualTo(403);
        assertThat(send(port, "GET", "/admin/gc", basic("bob", "b")).statusCode())
                .isEqualTo(403);
        assertThat(send(port, "GET", "/admin/read-only", basic("alice", "wrong"))
                        .statusCode())
                .isEqualTo(401);
        HttpResponse<String> admin = send(port, "GET", "/admin/read-only", basic("alice", "a"));
        assertThat(admin.statusCode()).isEqualTo(200);
        assertThat(admin.body()).contains("\"readOnly\":false");
        assertThat(send(port, "GET", "/admin/repositories", basic("ops", "o")).statusCode())
                .isEqualTo(200);
    }

    @Test
    void probesAndInfoStayOpenWhileMetricsNeedAUser() throws Exception {
        assertThat(send(port, "GET", "/actuator/health/liveness", null).statusCode())
                .isEqualTo(200);
        assertThat(send(port, "GET", "/actuator/health/readiness", null).statusCode())
                .isEqualTo(200);
        assertThat(send(port, "GET", "/actuator/health", null).statusCode()).isEqualTo(200);
        assertThat(send(port, "GET", "/actuator/info", null).statusCode()).isEqualTo(200);
        assertThat(send(port, "GET", "/actuator/prometheus", null).statusCode()).isEqualTo(401);
        HttpResponse<String> scrape = send(port, "GET", "/actuator/prometheus", basic("bob", "b"));
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.body()).contains("berth_requests_seconds_count");
        // The user shows up in the access log's source: the exchange attribute.
        assertThat(send(port, "GET", "/v2/", basic("bob", "b")).statusCode()).isEqualTo(200);
    }
}
