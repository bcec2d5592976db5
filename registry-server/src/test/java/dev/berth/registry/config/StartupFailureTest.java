package dev.berth.registry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.registry.RegistryApplication;
import dev.berth.registry.tls.Certificates;
import dev.berth.registry.tls.PemFiles;
import dev.berth.storage.s3.S3ProxyExtension;
import dev.berth.storage.s3.S3ProxyServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Every configuration error stops start-up with one short report (Spring Boot's failure analysis) that names the
 * property, the file concerned and what to do, and no stack trace. Each case starts the real application in this
 * JVM with one bad setting; {@code StartupFailureIT} checks the exit status of the jar.
 */
@ExtendWith(OutputCaptureExtension.class)
class StartupFailureTest {
    @RegisterExtension
    static final S3ProxyExtension S3 = S3ProxyExtension.inMemory();

    static S3ProxyServer s3;

    @TempDir
    Path dir;

    @BeforeAll
    static void startS3() {
        s3 = S3.server();
    }

    @Test
    void missingTlsKey(CapturedOutput output) throws Exception {
        Path certificate = certificate(Certificates.ecKeyPair());
        Path key = dir.resolve("missing.key");
        String report = failure(output, tls(certificate, key));
        assertThat(report).contains("berth.tls.private-key", key.toString(), "does not exist");
    }

    @Test
    void unreadableTlsCertificate(CapturedOutput output) throws Exception {
        KeyPair keys = Certificates.ecKeyPair();
        Path certificate = Files.writeString(dir.resolve("server.crt"), "this is not PEM\n");
        String report = failure(output, tls(certificate, key(keys)));
        assertThat(report).contains("berth.tls.certificate", certificate.toString(), "BEGIN CERTIFICATE");
    }

    @Test
    void encryptedTlsKeyWithoutPassword(CapturedOutput output) throws Exception {
        KeyPair keys = Certificates.rsaKeyPair(2048);
        Path key = dir.resolve("encrypted.key");
        try (JcaPEMWriter writer = new JcaPEMWriter(Files.newBufferedWriter(key))) {
            writer.writeObject(new JcaPKCS8Generator(
                    keys.getPrivate(),
                    new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.AES_256_CBC)
                            .setProvider(new BouncyCastleProvider())
                            .setPassword("secret".toCharArray())
                            .build()));
        }
        String report = failure(output, tls(certificate(keys), key));
        assertThat(report).contains("berth.tls.key-password", key.toString(), "encrypted");

        List<String> wrongPassword = new ArrayList<>(tls(certificate(keys), key));
        wrongPassword.add("--berth.tls.key-password=wrong");
        assertThat(failure(output, wrongPassword)).contains("berth.tls.key-password", "does not decrypt");
    }

    @Test
    void tlsKeyOfAnotherCertificate(CapturedOutput output) throws Exception {
        Path certificate = certificate(Certificates.ecKeyPair());
        Path key = key(Certificates.ecKeyPair());
        String report = failure(output, tls(certificate, key));
        assertThat(report)
                .contains(
                        "berth.tls.private-key",
                        key.toString(),
                        certificate.toString(),
                        "does not belong to the certificate");
    }

    @Test
    void missingHtpasswdFileNamesWhereThePropertyWasSet(CapturedOutput output) throws Exception {
        Path htpasswd = dir.resolve("htpasswd");
        Path config = Files.writeString(
                dir.resolve("berth.properties"),
                "berth.auth.mode=htpasswd\nberth.auth.htpasswd.path=" + htpasswd + "\n");
        String report = failure(output, List.of("--spring.config.additional-location=file:" + config));
        assertThat(report)
                .contains(
                        "berth.auth.htpasswd.path",
                        htpasswd.toString(),
                        "does not exist",
                        "berth.properties",
                        "htpasswd -Bc");
    }

    @Test
    void unreadableSigningKey(CapturedOutput output) throws Exception {
        Path key = Files.writeString(
                dir.resolve("signing.key"),
                "-----BEGIN PRIVATE KEY-----\nnot base64!\n" + "-----END PRIVATE KEY-----\n");
        String report = failure(
                output,
                List.of(
                        "--berth.auth.mode=token",
                        "--berth.auth.token.issuer-endpoint.enabled=true",
                        "--berth.auth.token.issuer-endpoint.signing-key=" + key));
        assertThat(report).contains("berth.auth.token.issuer-endpoint.signing-key", key.toString());
    }

    @Test
    void portInUse(CapturedOutput output) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String report =
                    failure(output, List.of("--server.port=" + taken.getLocalPort(), "--server.address=127.0.0.1"));
            assertThat(report)
                    .contains(
                            "Port " + taken.getLocalPort() + " (server.port) is already in use",
                            "set server.port to a free port");
        }
    }

    @Test
    void missingS3Bucket(CapturedOutput output) throws Exception {
        String report = failure(output, s3("no-such-bucket", s3.secretKey()));
        assertThat(report)
                .contains(
                        "berth.storage.s3.bucket",
                        "'no-such-bucket'",
                        "does not exist",
                        s3.endpoint().toString());
    }

    @Test
    void refusedS3Credentials(CapturedOutput output) throws Exception {
        String report = failure(output, s3(s3.bucket(), "not-the-secret"));
        assertThat(report)
                .contains("S3 refused access key '" + s3.accessKey() + "'", "403", "berth.storage.s3.secret-key");
    }

    @Test
    void invalidPropertyValues(CapturedOutput output) throws Exception {
        assertThat(failure(output, List.of("--berth.gc.batch-size=5000")))
                .contains("berth.gc.batch-size = '5000'", "must be between 1 and 1000", "commandLineArgs");
        assertThat(failure(output, List.of("--berth.limits.max-connections-per-address=-1")))
                .contains("berth.limits.max-connections-per-address", "must be 0 (off) or more");
        assertThat(failure(output, List.of("--berth.storage.driver=ftp")))
                .contains("berth.storage.driver", "must be filesystem or s3");
        assertThat(failure(output, List.of("--berth.limits.request-head-timeout=soon")))
                .contains(
                        "berth.limits.request-head-timeout = 'soon'",
                        "not a valid duration",
                        "a duration such as 500ms, 10s");
        assertThat(failure(output, List.of("--berth.auth.mode=ldap")))
                .contains("berth.auth.mode = 'ldap'", "one of none, htpasswd, token");
    }

    // ---- helpers

    /**
     * Starts the application with {@code args} and returns the failure report it printed, after checking that
     * start-up failed with a report and without a stack trace.
     */
    private String failure(CapturedOutput output, List<String> args) {
        int from = output.getAll().length();
        List<String> all = new ArrayList<>(args);
        for (String fallback : List.of(
                "--server.port=0",
                "--server.address=127.0.0.1",
                "--berth.storage.filesystem.root=" + dir.resolve("data"))) {
            if (args.stream().noneMatch(a -> a.startsWith(fallback.substring(0, fallback.indexOf('=') + 1)))) {
                all.add(fallback);
            }
        }
        assertThatThrownBy(() -> new SpringApplication(RegistryApplication.class)
                        .run(all.toArray(String[]::new))
                        .close())
                .as("start-up with %s", args)
                .isNotNull();
        String printed = output.getAll().substring(from);
        assertThat(printed).as("start-up output").contains("APPLICATION FAILED TO START", "Description:", "Action:");
        assertThat(printed.lines().filter(line -> line.matches("\\s+at [\\w.$]+\\(.*")))
                .as("stack trace lines in:%n%s", printed)
                .isEmpty();
        String report = printed.substring(printed.indexOf("APPLICATION FAILED TO START"));
        assertThat(report.lines().count()).as("report:%n%s", report).isLessThan(15);
        assertThat(printed).as("the context's own warning").doesNotContain("cancelling refresh attempt");
        return report;
    }

    private List<String> tls(Path certificate, Path key) {
        return List.of(
                "--berth.tls.enabled=true", "--berth.tls.certificate=" + certificate, "--berth.tls.private-key=" + key);
    }

    private List<String> s3(String bucket, String secret) {
        return List.of(
                "--berth.storage.driver=s3",
                "--berth.storage.s3.bucket=" + bucket,
                "--berth.storage.s3.endpoint=" + s3.endpoint(),
                "--berth.storage.s3.path-style-access=true",
                "--berth.storage.s3.region=" + s3.region(),
                "--berth.storage.s3.access-key=" + s3.accessKey(),
                "--berth.storage.s3.secret-key=" + secret,
                "--berth.storage.s3.max-retries=0");
    }

    private Path certificate(KeyPair keys) throws IOException {
        X509Certificate certificate = Certificates.issue(
                "localhost", keys, Certificates.Usage.SERVER, List.of("localhost"), Duration.ofDays(1), null, null);
        Path file = Files.createTempFile(dir, "server", ".crt");
        PemFiles.write(file, certificate);
        return file;
    }

    private Path key(KeyPair keys) throws IOException {
        Path file = Files.createTempFile(dir, "server", ".key");
        PemFiles.write(file, keys.getPrivate());
        return file;
    }
}
