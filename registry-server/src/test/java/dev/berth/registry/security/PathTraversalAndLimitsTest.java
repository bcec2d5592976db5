package dev.berth.registry.security;

import static dev.berth.registry.security.SecurityTestSupport.rawStatus;
import static dev.berth.registry.security.SecurityTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.testing.LogCapture;
import dev.berth.storage.StorageDriver;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * With authentication off (the default): requests pass untouched, hostile paths are refused with 400/404 before
 * any storage call, and oversized request lines and headers are refused by the HTTP decoder.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class PathTraversalAndLimitsTest {
    @TempDir
    static Path root;

    @LocalServerPort
    int port;

    /** Every storage call made through the driver bean, by method name. */
    static final List<String> STORAGE_CALLS = new CopyOnWriteArrayList<>();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("berth.storage.filesystem.root", () -> root.resolve("data").toString());
        registry.add("berth.limits.max-initial-line-length", () -> "2KB");
        registry.add("berth.limits.max-header-size", () -> "4KB");
    }

    @TestConfiguration
    static class RecordingStorage {
        @Bean
        static BeanPostProcessor recordStorageCalls() {
            return new BeanPostProcessor() {
                @Override
                public Object postProcessAfterInitialization(Object bean, String name) {
                    if (!(bean instanceof StorageDriver driver)) {
                        return bean;
                    }
                    Set<String> bookkeeping = Set.of("name", "close", "toString", "hashCode", "equals");
                    return Proxy.newProxyInstance(
                            StorageDriver.class.getClassLoader(),
                            new Class<?>[] {StorageDriver.class},
                            (proxy, method, args) -> {
                                if (!bookkeeping.contains(method.getName())) {
                                    STORAGE_CALLS.add(method.getName() + (args == null ? "" : List.of(args)));
                                }
                                try {
                                    return method.invoke(driver, args);
                                } catch (InvocationTargetException e) {
                                    throw e.getCause();
                                }
                            });
                }
            };
        }
    }

    @BeforeEach
    void reset() {
        STORAGE_CALLS.clear();
    }

    @Test
    void modeNoneLetsEverythingThrough() throws Exception {
        var response = send(port, "GET", "/v2/", null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("WWW-Authenticate")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/v2/../../../etc/passwd",
                "/v2/..",
                "/v2/foo/../../bar/manifests/latest",
                "/v2/foo/../bar/tags/list",
                "/v2/%2e%2e/%2e%2e/etc/manifests/latest",
                "/v2/foo/%2e%2e/manifests/latest",
                "/v2/foo%2f..%2f..%2fbar/manifests/latest",
                "/v2/foo%2F..%2F..%2Fbar/blobs/sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "/v2/%252e%252e/foo/tags/list",
                "/v2/foo/manifests/..",
                "/v2/foo/manifests/..%2f..%2fx",
                "/v2/foo/manifests/sha256:..%2f..%2fetc",
                "/v2/foo/blobs/sha256:../../../etc/passwd",
                "/v2/foo/blobs/sha256:..%2f..%2fetc%2fpasswd",
                "/v2/foo/blobs/uploads/..%2f..%2fx",
                "/v2/foo/blobs/uploads/../../x",
                "/v2/foo%00bar/tags/list",
                "/v2/foo%5c..%5cbar/tags/list",
                "/v2//etc/passwd/tags/list",
                "/v2/FOO/tags/list",
                "/v2/foo/referrers/sha256:..",
            })
    void hostilePathsAreRefusedWithoutTouchingStorage(String path) throws Exception {
        for (String method : List.of("GET", "HEAD", "PUT", "DELETE")) {
            int status = rawStatus(port, method + " " + path + " HTTP/1.1", "Content-Length: 0");
            assertThat(status).as("%s %s", method, path).isIn(400, 404, 405);
        }
        assertThat(STORAGE_CALLS).as("storage calls for %s", path).isEmpty();
    }

    @Test
    void writesAreAudited() throws Exception {
        try (LogCapture audit = LogCapture.start("berth.audit")) {
            send(port, "PUT", "/v2/team/app/manifests/v1", null);
            send(port, "DELETE", "/v2/team/app/blobs/sha256:" + "a".repeat(64), null);
            send(port, "GET", "/v2/team/app/tags/list", null);
            assertThat(audit.lines()).hasSize(2);
            assertThat(audit.lines().get(0))
                    .startsWith("event=tag method=PUT route=MANIFEST repository=team/app " + "reference=v1")
                    .contains(" user=- remote=127.0.0.1 ")
                    .containsPattern(" status=\\d{3} ");
            assertThat(audit.lines().get(1))
                    .startsWith("event=delete-blob method=DELETE route=BLOB")
                    .contains("digest=sha256:aaaa");
        }
    }

    @Test
    void tooLongRequestLineIsRefusedByTheDecoder() throws Exception {
        String longName = "a/".repeat(1500) + "a";
        int status = rawStatus(port, "GET /v2/" + longName + "/tags/list HTTP/1.1");
        assertThat(status).isIn(413, 414, 400);
        assertThat(STORAGE_CALLS).isEmpty();
    }

    @Test
    void tooLargeHeadersAreRefusedByTheDecoder() throws Exception {
        int status = rawStatus(port, "GET /v2/ HTTP/1.1", "X-Filler: " + "x".repeat(6000));
        assertThat(status).isIn(413, 431, 400);
        // A request within the limits on a fresh connection still works.
        assertThat(rawStatus(port, "GET /v2/ HTTP/1.1", "X-Filler: " + "x".repeat(1000)))
                .isEqualTo(200);
    }
}
