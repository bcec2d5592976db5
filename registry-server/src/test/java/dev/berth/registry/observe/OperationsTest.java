package dev.berth.registry.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.berth.registry.testing.Resp;
import dev.berth.registry.testing.TempRoots;
import dev.berth.registry.testing.TestHttp;
import dev.berth.storage.CheckedStorageDriver;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.filesystem.FilesystemDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.bean.override.convention.TestBean;

/**
 * The operations surface with authentication off: health probes (readiness follows storage), Prometheus metrics
 * after a push and a pull (requests, bytes, uploads, GC, storage, caches), the access log, and read-only mode
 * switched at runtime.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OperationsTest {
    static final Path ROOT = tempRoot();
    static final SwitchableDriver STORAGE = switchable();
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("berth.storage.filesystem.root", ROOT::toString);
        registry.add("berth.gc.grace-period", () -> "0s");
        registry.add("berth.gc.settle-delay", () -> "300ms");
        registry.add("berth.cache.ttl", () -> "100ms");
        registry.add("berth.health.storage-timeout", () -> "2s");
    }

    /** The usual checked driver, around a filesystem driver the tests can switch off. */
    @TestBean(name = "storageDriver")
    StorageDriver storageDriver;

    static StorageDriver storageDriver() {
        return new CheckedStorageDriver(STORAGE);
    }

    @LocalServerPort
    int port;

    final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final Logger accessLogger = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER);
    private final ListAppender<ILoggingEvent> access = new ListAppender<>();

    @BeforeEach
    void captureAccessLog() {
        accessLogger.setLevel(Level.INFO);
        access.start();
        accessLogger.addAppender(access);
    }

    @AfterEach
    void restore() {
        accessLogger.detachAppender(access);
        STORAGE.setAvailable(true);
        send(
                "PUT",
                "/admin/read-only",
                "{\"readOnly\":false}".getBytes(StandardCharsets.UTF_8),
                "Content-Type",
                "application/json");
    }

    @Test
    void readinessFollowsStorageWhileLivenessStaysUp() {
        assertThat(send("GET", "/actuator/health/liveness", null).status()).isEqualTo(200);
        Resp ready = send("GET", "/actuator/health/readiness", null);
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.json().get("status").asString()).isEqualTo("UP");

        STORAGE.setAvailable(false);
        Resp down = send("GET", "/actuator/health/readiness", null);
        assertThat(down.status()).isEqualTo(503);
        assertThat(down.json().get("status").asString()).isEqualTo("DOWN");
        assertThat(send("GET", "/actuator/health/liveness", null).status()).isEqualTo(200);
        assertThat(send("GET", "/actuator/health", null).status()).isEqualTo(503);

        STORAGE.setAvailable(true);
        assertThat(send("GET", "/actuator/health/readiness", null).status()).isEqualTo(200);
    }

    @Test
    void prometheusShowsRequestsBytesUploadsGcAndStorageAfterPushAndPull() {
        String repo = "ops/metrics";
        byte[] layer = randomBytes(300_000);
        String layerDigest = pushChunked(repo, layer);
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        String configDigest = pushMonolithic(repo, config);
        byte[] manifest = manifest(configDigest, config.length, layerDigest, layer.length);
        assertThat(send(
                                "PUT",
                                "/v2/" + repo + "/manifests/v1",
                                manifest,
                                "Content-Type",
                                "application/vnd.oci.image.manifest.v1+json")
                        .status())
                .isEqualTo(201);
        Resp pulled = send("GET", "/v2/" + repo + "/blobs/" + layerDigest, null);
        assertThat(pulled.status()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(layer);
        assertThat(send(
                                "GET",
                                "/v2/" + repo + "/manifests/v1",
                                null,
                                "Accept",
                                "application/vnd.oci.image.manifest.v1+json")
                        .status())
                .isEqualTo(200);
        // An unreferenced blob for the collection to free.
        pushMonolithic("ops/orphans", randomBytes(1234));
        Resp gc = send("POST", "/admin/gc?wait=true", null);
        assertThat(gc.status()).as(gc.toString()).isEqualTo(200);
        assertThat(gc.json().get("bytesFreed").asLong()).isGreaterThanOrEqualTo(1234);

        String metrics = send("GET", "/actuator/prometheus", null).text();
        assertThat(sample(
                        metrics,
                        "berth_requests_seconds_count",
                        "method=\"PUT\"",
                        "route=\"MANIFEST\"",
                        "status=\"201\""))
                .isEqualTo(1);
        assertThat(sample(
                        metrics, "berth_requests_seconds_count", "method=\"GET\"", "route=\"BLOB\"", "status=\"200\""))
                .isGreaterThanOrEqualTo(1);
        // No repository names in tags.
        assertThat(metrics).doesNotContain("ops/metrics");
        assertThat(sample(metrics, "berth_received_bytes_total", "route=\"UPLOAD\""))
                .isGreaterThanOrEqualTo(layer.length);
        // The blob GET is sent zero-copy from the file; its region counts all the same.
        assertThat(sample(metrics, "berth_sent_bytes_total", "route=\"BLOB\"")).isGreaterThanOrEqualTo(layer.length);
        assertThat(sample(metrics, "berth_upload_duration_seconds_count")).isGreaterThanOrEqualTo(3);
        assertThat(sample(metrics, "berth_upload_size_bytes_sum")).isGreaterThanOrEqualTo(layer.length);
        assertThat(sample(metrics, "berth_gc_runs_total", "dry_run=\"false\"", "outcome=\"success\""))
                .isGreaterThanOrEqualTo(1);
        assertThat(sample(metrics, "berth_gc_freed_bytes_total")).isGreaterThanOrEqualTo(1234);
        assertThat(sample(metrics, "berth_storage_operations_seconds_count", "operation=\"put_content\""))
                .isGreaterThan(0);
        assertThat(sample(metrics, "berth_storage_written_bytes_total")).isGreaterThanOrEqualTo(layer.length);
        assertThat(metrics).contains("berth_storage_errors_total{").contains("berth_read_only 0.0");
        assertThat(sample(metrics, "cache_gets_total", "cache=\"blobs\"")).isGreaterThan(0);
    }

    @Test
    void accessLogHasOneParsableLinePerRequest() {
        String repo = "ops/access";
        byte[] blob = randomBytes(4096);
        String digest = pushMonolithic(repo, blob);
        awaitLines(l -> l.stream().anyMatch(line -> line.get("method").equals("POST")));
        assertThat(send("GET", "/v2/" + repo + "/blobs/" + digest, null, "User-Agent", "ops-test/1.0 (java)")
                        .status())
                .isEqualTo(200);
        assertThat(send("GET", "/v2/" + repo + "/manifests/missing", null).status())
                .isEqualTo(404);
        send("GET", "/actuator/health/liveness", null);

        // A line is written once the exchange has ended, which may be just after the client saw the response.
        List<Map<String, String>> lines =
                awaitLines(l -> l.stream()
                                        .filter(line -> line.get("method").equals("GET"))
                                        .count()
                                >= 2)
                        .stream()
                        .filter(l -> !l.get("method").equals("POST"))
                        .toList();
        assertThat(lines).hasSize(2); // probes are logged at DEBUG only
        lines = lines.stream()
                .sorted(java.util.Comparator.comparing(l -> l.get("route")))
                .toList();
        Map<String, String> get = lines.get(0);
        assertThat(get)
                .containsEntry("method", "GET")
                .containsEntry("path", "/v2/" + repo + "/blobs/" + digest)
                .containsEntry("route", "BLOB")
                .containsEntry("repository", repo)
                .containsEntry("status", "200")
                .containsEntry("bytes_in", "0")
                .containsEntry("bytes_out", "4096")
                .containsEntry("user_agent", "ops-test/1.0 (java)")
                .containsEntry("user", "-")
                .containsKeys("duration_ms", "remote");
        assertThat(lines.get(1)).containsEntry("route", "MANIFEST").containsEntry("status", "404");
        assertThat(Long.parseLong(lines.get(1).get("bytes_out"))).isPositive();
    }

    @Test
    void readOnlyModeRefusesClientWritesButCollectsGarbageAndCanBeSwitchedBack() {
        String repo = "ops/readonly";
        byte[] blob = randomBytes(100);
        String digest = pushMonolithic(repo, blob);
        assertThat(send("GET", "/admin/read-only", null).json().get("readOnly").asBoolean())
                .isFalse();

        Resp on = send(
                "PUT",
                "/admin/read-only",
                "{\"readOnly\":true}".getBytes(StandardCharsets.UTF_8),
                "Content-Type",
                "application/json");
        assertThat(on.status()).isEqualTo(200);
        assertThat(on.json().get("readOnly").asBoolean()).isTrue();

        for (String[] write : List.of(
                new String[] {"POST", "/v2/" + repo + "/blobs/uploads/"},
                new String[] {"PUT", "/v2/" + repo + "/manifests/v1"},
                new String[] {"PATCH", "/v2/" + repo + "/blobs/uploads/abc"},
                new String[] {"DELETE", "/v2/" + repo + "/blobs/" + digest})) {
            Resp refused = send(write[0], write[1], new byte[0]);
            assertThat(refused.status()).as(write[0] + " " + write[1]).isEqualTo(405);
            assertThat(refused.errorCode()).isEqualTo("UNSUPPORTED");
        }
        assertThat(send("GET", "/v2/" + repo + "/blobs/" + digest, null).body()).isEqualTo(blob);
        assertThat(send("HEAD", "/v2/" + repo + "/blobs/" + digest, null).status())
                .isEqualTo(200);
        assertThat(send("GET", "/v2/_catalog", null).status()).isEqualTo(200);
        assertThat(send("GET", "/actuator/prometheus", null).text()).contains("berth_read_only 1.0");
        // Collection runs while clients cannot write: the blob no manifest references goes.
        Resp gc = send("POST", "/admin/gc?wait=true", null);
        assertThat(gc.status()).as("%s", gc).isEqualTo(200);
        assertThat(gc.json().get("dryRun").asBoolean()).isFalse();
        assertThat(send("HEAD", "/v2/" + repo + "/blobs/" + digest, null).status())
                .isEqualTo(404);
        assertThat(send("GET", "/admin/read-only", null).json().get("readOnly").asBoolean())
                .isTrue();

        Resp off = send(
                "PUT",
                "/admin/read-only",
                "{\"readOnly\":false}".getBytes(StandardCharsets.UTF_8),
                "Content-Type",
                "application/json");
        assertThat(off.json().get("readOnly").asBoolean()).isFalse();
        pushMonolithic(repo, randomBytes(50));
        assertThat(send(
                                "PUT",
                                "/admin/read-only",
                                "{}".getBytes(StandardCharsets.UTF_8),
                                "Content-Type",
                                "application/json")
                        .status())
                .isEqualTo(400);
    }

    // --- helpers ---

    /** The parsed access log lines, once {@code done} holds for them (or after 5 seconds). */
    List<Map<String, String>> awaitLines(java.util.function.Predicate<List<Map<String, String>>> done) {
        try {
            return await().atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(20))
                    .until(this::accessLines, done::test);
        } catch (ConditionTimeoutException e) {
            return accessLines(); // the caller's assertions say what is missing
        }
    }

    private List<Map<String, String>> accessLines() {
        synchronized (access) {
            return access.list.stream()
                    .map(ILoggingEvent::getFormattedMessage)
                    .map(OperationsTest::parse)
                    .toList();
        }
    }

    /** Parses a key=value line whose values may be double-quoted. */
    static Map<String, String> parse(String line) {
        Map<String, String> fields = new LinkedHashMap<>();
        Matcher m =
                Pattern.compile("(\\w+)=(\"((?:[^\"\\\\]|\\\\.)*)\"|(\\S+))").matcher(line);
        while (m.find()) {
            fields.put(
                    m.group(1),
                    m.group(3) != null ? m.group(3).replace("\\\"", "\"").replace("\\\\", "\\") : m.group(4));
        }
        return fields;
    }

    /** The sum of a metric's samples whose labels include all of {@code labels}. */
    static double sample(String exposition, String name, String... labels) {
        double sum = 0;
        boolean found = false;
        for (String line : exposition.split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            int brace = line.indexOf('}');
            String labelText = brace < 0 ? "" : line.substring(name.length(), brace + 1);
            if (List.of(labels).stream().allMatch(labelText::contains)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        assertThat(found)
                .as(name + " " + List.of(labels) + " in\n" + exposition)
                .isTrue();
        return sum;
    }

    String pushMonolithic(String repo, byte[] content) {
        String digest = digest(content);
        Resp r = send(
                "POST",
                "/v2/" + repo + "/blobs/uploads/?digest=" + digest,
                content,
                "Content-Type",
                "application/octet-stream");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return digest;
    }

    String pushChunked(String repo, byte[] content) {
        Resp start = send("POST", "/v2/" + repo + "/blobs/uploads/", null);
        assertThat(start.status()).isEqualTo(202);
        String location = start.header("Location");
        int half = content.length / 2;
        Resp patch = send(
                "PATCH",
                location,
                java.util.Arrays.copyOfRange(content, 0, half),
                "Content-Type",
                "application/octet-stream",
                "Content-Range",
                "0-" + (half - 1));
        assertThat(patch.status()).as(patch.toString()).isEqualTo(202);
        String digest = digest(content);
        Resp put = send(
                "PUT",
                patch.header("Location") + (patch.header("Location").contains("?") ? "&" : "?") + "digest=" + digest,
                java.util.Arrays.copyOfRange(content, half, content.length),
                "Content-Type",
                "application/octet-stream",
                "Content-Range",
                half + "-" + (content.length - 1));
        assertThat(put.status()).as(put.toString()).isEqualTo(201);
        return digest;
    }

    static byte[] manifest(String configDigest, long configSize, String layerDigest, long layerSize) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                        + configDigest + "\",\"size\":" + configSize + "},\"layers\":[{\"mediaType\":"
                        + "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + layerDigest + "\",\"size\":"
                        + layerSize + "}]}")
                .getBytes(StandardCharsets.UTF_8);
    }

    static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    static String digest(byte[] content) {
        try {
            return "sha256:"
                    + HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    Resp send(String method, String path, byte[] body, String... headers) {
        URI uri = path.startsWith("http") ? URI.create(path) : URI.create("http://localhost:" + port + path);
        return TestHttp.send(client, method, uri, body, TIMEOUT, headers);
    }

    private static Path tempRoot() {
        return TempRoots.create("berth-operations");
    }

    private static SwitchableDriver switchable() {
        try {
            return new SwitchableDriver(new FilesystemDriver(ROOT));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
