package dev.berth.registry.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The compose file users start Berth on S3 with: validated by the real docker-compose (no engine needed), and
 * checked to wire the S3 driver to the S3 server it starts.
 */
class ComposeFileTest {
    private static final Path COMPOSE =
            Path.of("..", "docker-compose.yml").toAbsolutePath().normalize();

    @Test
    void composeFileIsValid() throws Exception {
        Process p = new ProcessBuilder("docker-compose", "-f", COMPOSE.toString(), "config", "-q")
                .redirectErrorStream(true)
                .start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(output).isZero();
    }

    @Test
    void registryServicesUseTheS3ServerAndBucketOfTheFile() throws IOException {
        String resolved = resolvedConfig();
        assertThat(resolved)
                .contains(
                        "BERTH_STORAGE_DRIVER: s3",
                        "BERTH_STORAGE_S3_ENDPOINT: http://minio:9000",
                        "BERTH_STORAGE_S3_BUCKET: berth",
                        "mc mb --ignore-existing",
                        "local/berth");
    }

    private static String resolvedConfig() throws IOException {
        Process p = new ProcessBuilder("docker-compose", "-f", COMPOSE.toString(), "config")
                .redirectErrorStream(true)
                .start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
