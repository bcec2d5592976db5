package dev.berth.registry.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.it.RegistryHttp;
import java.net.URI;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** With {@code berth.ui.enabled=false} neither the pages nor their JSON endpoints are served. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "berth.ui.enabled=false")
class UiDisabledTest {
    @DynamicPropertySource
    static void storage(DynamicPropertyRegistry registry) throws Exception {
        String root = Files.createTempDirectory("berth-ui-off").toString();
        registry.add("berth.storage.filesystem.root", () -> root);
    }

    @LocalServerPort
    int port;

    @Test
    void nothingIsServedUnderUi() {
        RegistryHttp http = new RegistryHttp(() -> URI.create("http://127.0.0.1:" + port));
        for (String path : new String[] {"/ui/", "/ui/app.js", "/ui/api/session", "/ui/api/repositories"}) {
            assertThat(http.get(path).send().status()).as(path).isEqualTo(404);
        }
        assertThat(http.get("/v2/").send().status()).isEqualTo(200);
    }
}
