package dev.berth.registry.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.registry.security.SecurityTestSupport;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * HTTPS from PEM files: an RSA server key in PKCS#1 form and a certificate chain issued by a test CA. Clients
 * that trust the CA get through (also skopeo, with the CA in its cert dir); others fail the handshake.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TlsTest {
    private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(2);
    private static final ScheduledExecutorService PACER = Executors.newSingleThreadScheduledExecutor();

    @TempDir
    static Path dir;

    static TestPki pki;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        pki = TestPki.create("Berth Test CA");
        KeyPair serverKeys = Certificates.rsaKeyPair(2048);
        X509Certificate server =
                pki.issue("localhost", serverKeys, Certificates.Usage.SERVER, List.of("localhost", "127.0.0.1"));
        PemFiles.write(dir.resolve("server-chain.pem"), server, pki.ca());
        TestPki.writeTraditionalKey(dir.resolve("server.key"), serverKeys);
        assertThat(Files.readString(dir.resolve("server.key"))).contains("BEGIN RSA PRIVATE KEY");
        Files.createDirectories(dir.resolve("certs"));
        PemFiles.write(dir.resolve("certs/ca.crt"), pki.ca());
        registry.add("berth.storage.filesystem.root", () -> dir.resolve("data").toString());
        registry.add("berth.tls.enabled", () -> "true");
        registry.add(
                "berth.tls.certificate", () -> dir.resolve("server-chain.pem").toString());
        registry.add("berth.tls.private-key", () -> dir.resolve("server.key").toString());
        registry.add("berth.limits.request-head-timeout", HEAD_TIMEOUT::toString);
    }

    @AfterAll
    static void stopPacer() {
        PACER.shutdownNow();
    }

    @Test
    void aClientTrustingTheCaGetsThrough() throws Exception {
        HttpResponse<String> response = get(pki.clientContext(null, null), "https://localhost:" + port + "/v2/");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(get(pki.clientContext(null, null), "https://127.0.0.1:" + port + "/v2/")
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void anUntrustingClientFailsTheHandshake() throws Exception {
        assertThatThrownBy(() -> get(SSLContext.getDefault(), "https://localhost:" + port + "/v2/"))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> get(
                        TestPki.create("Some Other CA").clientContext(null, null),
                        "https://localhost:" + port + "/v2/"))
                .isInstanceOf(IOException.class);
    }

    @Test
    void plainHttpIsNotServed() {
        assertThatThrownBy(() -> {
                    HttpResponse<String> response = get(SSLContext.getDefault(), "http://localhost:" + port + "/v2/");
                    assertThat(response.statusCode()).isNotEqualTo(200);
                    throw new IOException("answered " + response.statusCode());
                })
                .isInstanceOf(IOException.class);
    }

    @Test
    void skopeoTrustingTheCaPushesAndPulls() throws Exception {
        assumeTrue(SecurityTestSupport.which("skopeo") != null, "skopeo not installed");
        String registry = "localhost:" + port;
        Path certs = dir.resolve("certs");
        // Without the CA, skopeo refuses the registry.
        assertThat(run(List.of("skopeo", "inspect", "--raw", "docker://" + registry + "/tls/app:v1"))
                        .output())
                .contains("certificate");
        HttpResponse<String> probe = HttpClient.newBuilder()
                .sslContext(pki.clientContext(null, null))
                .build()
                .send(
                        HttpRequest.newBuilder(URI.create("https://" + registry + "/v2/tls/app/blobs/uploads/"))
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assumeTrue(probe.statusCode() == 202, "blob uploads not implemented yet");
        Path layout = Files.createDirectories(dir.resolve("layout"));
        SecurityTestSupport.writeOciLayout(layout, "v1");
        SecurityTestSupport.Run push = run(List.of(
                "skopeo",
                "copy",
                "--dest-cert-dir",
                certs.toString(),
                "oci:" + layout + ":v1",
                "docker://" + registry + "/tls/app:v1"));
        assertThat(push.exit()).as(push.output()).isZero();
        SecurityTestSupport.Run inspect = run(List.of(
                "skopeo", "inspect", "--raw", "--cert-dir", certs.toString(), "docker://" + registry + "/tls/app:v1"));
        assertThat(inspect.exit()).as(inspect.output()).isZero();
        assertThat(inspect.output()).contains("schemaVersion");
    }

    /**
     * The request-head bound holds behind TLS too: its handlers sit around the HTTP codec, after the TLS handler,
     * so they time decrypted bytes. A head sent a byte every 200 ms (a minute's worth) is cut with a 408.
     */
    @Test
    void aHeadDribbledOverTlsIsCutAfterTheBound() throws Exception {
        try (SSLSocket socket =
                (SSLSocket) pki.clientContext(null, null).getSocketFactory().createSocket("localhost", port)) {
            socket.setSoTimeout(20_000);
            socket.startHandshake();
            byte[] head = ("GET /v2/ HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + "a".repeat(300) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            OutputStream out = socket.getOutputStream();
            AtomicInteger next = new AtomicInteger();
            ScheduledFuture<?> dribble = PACER.scheduleAtFixedRate(
                    () -> {
                        try {
                            out.write(head[next.getAndIncrement()]);
                            out.flush();
                        } catch (IOException | ArrayIndexOutOfBoundsException stop) {
                            throw new IllegalStateException(stop); // ends the schedule: the server closed, or all sent
                        }
                    },
                    0,
                    200,
                    TimeUnit.MILLISECONDS);
            try {
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(answer).startsWith("HTTP/1.1 408");
                assertThat(next.get()).as("bytes sent before the cut").isLessThan(head.length);
            } finally {
                dribble.cancel(false);
            }
        }
    }

    static SecurityTestSupport.Run run(List<String> command) throws Exception {
        return SecurityTestSupport.run(dir, command);
    }

    static HttpResponse<String> get(SSLContext context, String url) throws Exception {
        HttpClient client = HttpClient.newBuilder()
                .sslContext(context)
                .connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        return client.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
