package dev.berth.registry.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.RegistryApplication;
import dev.berth.registry.maintenance.ReadOnlyMode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/** {@code gc} runs in a non-web context: no server, no security chain, the same collector. */
class GcCommandTest {
    @TempDir
    Path root;

    @Test
    void argumentsSelectANonWebContextAndTheRunner() {
        assertThat(GcCommand.arguments(new String[] {"gc", "--dry-run"}))
                .containsExactly("--dry-run", "--spring.main.web-application-type=none", "--berth.gc.command=true");
        assertThat(GcCommand.arguments(new String[] {"--server.port=5001"})).containsExactly("--server.port=5001");
    }

    @Test
    void collectsWithoutAWebServerAlsoWhileReadOnly() throws Exception {
        // As the command starts, minus berth.gc.command (whose runner exits the JVM).
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(RegistryApplication.class)
                .web(WebApplicationType.NONE)
                .properties(
                        "berth.storage.filesystem.root=" + root,
                        "berth.gc.settle-delay=0s",
                        "berth.cache.enabled=false")
                .run()) {
            assertThat(context).isNotInstanceOf(WebServerApplicationContext.class);
            GcService gc = context.getBean(GcService.class);
            assertThat(gc.runNow(true).dryRun()).isTrue();
            // Read-only mode refuses client writes, not collections.
            context.getBean(ReadOnlyMode.class).set(true);
            assertThat(gc.runNow(false).dryRun()).isFalse();
        }
    }
}
