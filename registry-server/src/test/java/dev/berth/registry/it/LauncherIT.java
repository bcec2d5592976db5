package dev.berth.registry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher (bin/berth-registry) with its start-up archive absent (it extracts the jar, runs a training run,
 * then serves from the archive), present (it maps it, without training again) and stale (a damaged archive:
 * the JVM ignores it and the registry serves anyway). The test JVM is the launcher's JVM, so this covers
 * AppCDS on Java 17-24 and the AOT cache on 25+, whichever runs Maven.
 */
class LauncherIT {
    @TempDir
    Path cache;

    private final HttpClient http = HttpClient.newHttpClient();
    private RegistryProcess registry;

    @AfterEach
    void stop() throws Exception {
        if (registry != null) {
            registry.stop();
            RegistryProcess.deleteRecursively(registry.root());
        }
    }

    @Test
    void startsWithTheArchiveAbsentPresentAndStale() throws Exception {
        registry = RegistryProcess.create().throughLauncher(cache);

        registry.start();
        assertServes();
        assertThat(registry.logTail(100_000)).contains("training run for a start-up archive");
        Path archive = onlyArchive();
        assertThat(mapped(archive)).as("archive mapped by the JVM").isTrue();
        FileTime made = Files.getLastModifiedTime(archive);
        registry.stop();

        registry.start();
        assertServes();
        assertThat(registry.logTail(100_000)).doesNotContain("training run");
        assertThat(onlyArchive()).isEqualTo(archive);
        assertThat(Files.getLastModifiedTime(archive)).isEqualTo(made);
        assertThat(mapped(archive)).as("archive mapped by the JVM").isTrue();
        registry.stop();

        // Damaged in place (as a JVM updated under the same path would leave it): not mapped, no failed start.
        Files.delete(archive);
        Files.write(archive, "not an archive".repeat(1000).getBytes(StandardCharsets.US_ASCII));
        registry.start();
        assertServes();
        assertThat(mapped(archive)).as("stale archive mapped").isFalse();
    }

    private void assertServes() throws Exception {
        for (String path : List.of("/v2/", "/v2/_catalog")) {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(registry.baseUri() + path))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(path).isEqualTo(200);
        }
    }

    private Path onlyArchive() throws Exception {
        try (Stream<Path> files = Files.walk(cache)) {
            List<Path> archives = files.filter(
                            p -> p.toString().endsWith(".jsa") || p.toString().endsWith(".aot"))
                    .toList();
            assertThat(archives).hasSize(1);
            return archives.get(0);
        }
    }

    private boolean mapped(Path archive) throws Exception {
        return Files.readString(Path.of("/proc", Long.toString(registry.pid()), "maps"))
                .contains(archive.toString());
    }
}
