package dev.berth.registry.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.registry.RegistryApplication;
import dev.berth.storage.s3.S3CompatibilityException;
import dev.berth.storage.s3.S3ProxyExtension;
import dev.berth.storage.s3.S3ProxyServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * With {@code driver=s3} the registry probes its bucket before serving: against a server that ignores conditional
 * writes it refuses to start, naming the capability; {@code compatibility-check=false} lets it start anyway.
 */
class S3CompatibilityStartupTest {
    @RegisterExtension
    static final S3ProxyExtension S3 = S3ProxyExtension.filesystem();

    private static S3ProxyServer s3;

    @BeforeAll
    static void startS3() {
        s3 = S3.server();
        s3.store().ignoreConditionalWrites(true);
    }

    private static SpringApplicationBuilder registry() {
        return new SpringApplicationBuilder(RegistryApplication.class);
    }

    private static String[] args(String... more) {
        String[] base = {
            "--server.port=0",
            "--spring.main.banner-mode=off",
            "--berth.storage.driver=s3",
            "--berth.storage.s3.bucket=" + s3.bucket(),
            "--berth.storage.s3.endpoint=" + s3.endpoint(),
            "--berth.storage.s3.path-style-access=true",
            "--berth.storage.s3.access-key=" + s3.accessKey(),
            "--berth.storage.s3.secret-key=" + s3.secretKey(),
            "--berth.storage.s3.root-prefix=startup-check"
        };
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void aServerThatIgnoresConditionalWritesStopsStartUp() {
        assertThatThrownBy(() -> registry().run(args()).close())
                .rootCause()
                .isInstanceOfSatisfying(
                        S3CompatibilityException.class,
                        e -> assertThat(e.capability()).isEqualTo("If-None-Match: * refuses an overwrite"))
                .hasMessageContaining("berth.storage.s3.compatibility-check=false");
    }

    @Test
    void theCheckCanBeSwitchedOff() {
        try (ConfigurableApplicationContext context =
                registry().run(args("--berth.storage.s3.compatibility-check=false"))) {
            assertThat(context.isRunning()).isTrue();
        }
    }
}
