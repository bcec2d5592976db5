package dev.berth.registry.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@code berth.tls.client-auth=need}: only clients presenting a certificate from the configured client CA get
 * through. The server key is an EC key in SEC1 form; the client CA is a separate CA from the server's.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TlsClientAuthTest {
    @TempDir
    static Path dir;

    static TestPki serverPki;
    static TestPki clientPki;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        serverPki = TestPki.create("Berth Server CA");
        clientPki = TestPki.create("Berth Client CA");
        KeyPair serverKeys = Certificates.ecKeyPair();
        PemFiles.write(
                dir.resolve("server.pem"),
                serverPki.issue("localhost", serverKeys, Certificates.Usage.SERVER, List.of("localhost")),
                serverPki.ca());
        TestPki.writeTraditionalKey(dir.resolve("server.key"), serverKeys);
        PemFiles.write(dir.resolve("client-ca.pem"), clientPki.ca());
        registry.add("berth.storage.filesystem.root", () -> dir.resolve("data").toString());
        registry.add("berth.tls.enabled", () -> "true");
        registry.add("berth.tls.certificate", () -> dir.resolve("server.pem").toString());
        registry.add("berth.tls.private-key", () -> dir.resolve("server.key").toString());
        registry.add("berth.tls.client-auth", () -> "need");
        registry.add("berth.tls.client-ca", () -> dir.resolve("client-ca.pem").toString());
    }

    String url() {
        return "https://localhost:" + port + "/v2/";
    }

    @Test
    void withoutAClientCertificateTheHandshakeFails() {
        assertThatThrownBy(() -> TlsTest.get(serverPki.clientContext(null, null), url()))
                .isInstanceOf(IOException.class);
    }

    @Test
    void withACertificateFromAnotherCaTheHandshakeFails() {
        TestPki stranger = TestPki.create("Stranger CA");
        KeyPair keys = Certificates.ecKeyPair();
        X509Certificate certificate = stranger.issue("mallory", keys, Certificates.Usage.CLIENT, List.of());
        assertThatThrownBy(() -> TlsTest.get(serverPki.clientContext(keys, certificate), url()))
                .isInstanceOf(IOException.class);
    }

    @Test
    void withAClientCertificateItWorks() throws Exception {
        KeyPair keys = Certificates.ecKeyPair();
        X509Certificate certificate = clientPki.issue("ci-runner", keys, Certificates.Usage.CLIENT, List.of());
        assertThat(TlsTest.get(serverPki.clientContext(keys, certificate), url())
                        .statusCode())
                .isEqualTo(200);
    }
}
