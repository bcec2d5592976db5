package dev.berth.registry.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OutputEncryptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEM in the forms operators bring, and the development certificate Berth makes itself. */
class PemFilesTest {
    @TempDir
    Path dir;

    @Test
    void readsPkcs1Pkcs8Sec1AndEncryptedKeys() throws Exception {
        KeyPair rsa = Certificates.rsaKeyPair(2048);
        KeyPair ec = Certificates.ecKeyPair();
        TestPki.writeTraditionalKey(dir.resolve("rsa-pkcs1.key"), rsa);
        TestPki.writeTraditionalKey(dir.resolve("ec-sec1.key"), ec);
        PemFiles.write(dir.resolve("rsa-pkcs8.key"), rsa.getPrivate());
        PemFiles.write(dir.resolve("ec-pkcs8.key"), ec.getPrivate());
        assertThat(Files.readString(dir.resolve("rsa-pkcs1.key"))).contains("BEGIN RSA PRIVATE KEY");
        assertThat(Files.readString(dir.resolve("ec-sec1.key"))).contains("BEGIN EC PRIVATE KEY");
        assertThat(Files.readString(dir.resolve("ec-pkcs8.key"))).contains("BEGIN PRIVATE KEY");
        assertThat(PemFiles.readPrivateKey(dir.resolve("rsa-pkcs1.key"), null)).isEqualTo(rsa.getPrivate());
        assertThat(PemFiles.readPrivateKey(dir.resolve("rsa-pkcs8.key"), null)).isEqualTo(rsa.getPrivate());
        assertThat(PemFiles.readPrivateKey(dir.resolve("ec-sec1.key"), null).getAlgorithm())
                .isEqualTo("EC");
        assertThat(((java.security.interfaces.ECPrivateKey) PemFiles.readPrivateKey(dir.resolve("ec-sec1.key"), null))
                        .getS())
                .isEqualTo(((java.security.interfaces.ECPrivateKey) ec.getPrivate()).getS());
        assertThat(PemFiles.readPrivateKey(dir.resolve("ec-pkcs8.key"), null).getAlgorithm())
                .isEqualTo("EC");

        OutputEncryptor encryptor = new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.AES_256_CBC)
                .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider())
                .setPassword("pw".toCharArray())
                .build();
        try (JcaPEMWriter writer = new JcaPEMWriter(Files.newBufferedWriter(dir.resolve("enc.key")))) {
            writer.writeObject(new JcaPKCS8Generator(rsa.getPrivate(), encryptor));
        }
        assertThat(PemFiles.readPrivateKey(dir.resolve("enc.key"), "pw".toCharArray()))
                .isEqualTo(rsa.getPrivate());
        assertThatThrownBy(() -> PemFiles.readPrivateKey(dir.resolve("enc.key"), null))
                .hasMessageContaining("encrypted");
    }

    @Test
    void readsChainsAndPublicKeys() {
        TestPki pki = TestPki.create("CA");
        KeyPair keys = Certificates.ecKeyPair();
        X509Certificate leaf = pki.issue("leaf", keys, Certificates.Usage.SERVER, List.of("localhost"));
        PemFiles.write(dir.resolve("chain.pem"), leaf, pki.ca());
        assertThat(PemFiles.readCertificates(dir.resolve("chain.pem"))).containsExactly(leaf, pki.ca());
        assertThat(PemFiles.readPublicKeys(dir.resolve("chain.pem")))
                .hasSize(2)
                .first()
                .isEqualTo(keys.getPublic());
        PemFiles.write(
                dir.resolve("pub.pem"),
                org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(
                        keys.getPublic().getEncoded()));
        assertThat(PemFiles.readPublicKeys(dir.resolve("pub.pem"))).containsExactly(keys.getPublic());
        assertThatThrownBy(() -> PemFiles.readCertificates(dir.resolve("pub.pem")))
                .hasMessageContaining("no CERTIFICATE");
    }

    @Test
    void selfSignedCertificateIsGeneratedOnceWithLocalNames() throws Exception {
        TlsProperties tls = new TlsProperties();
        tls.setEnabled(true);
        tls.getSelfSigned().setEnabled(true);
        tls.getSelfSigned().setDirectory(dir.resolve("tls"));
        TlsConfiguration.bundle(tls);
        Path crt = dir.resolve("tls/tls.crt");
        X509Certificate certificate = PemFiles.readCertificates(crt).get(0);
        Collection<List<?>> names = certificate.getSubjectAlternativeNames();
        assertThat(names).extracting(n -> n.get(1).toString()).contains("localhost", "127.0.0.1");
        assertThat(certificate.getNotAfter().toInstant())
                .isAfter(java.time.Instant.now().plus(Duration.ofDays(300)));
        String first = Files.readString(crt);
        TlsConfiguration.bundle(tls);
        assertThat(Files.readString(crt)).as("reused, not regenerated").isEqualTo(first);
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(dir.resolve("tls/tls.key"))))
                .isEqualTo("rw-------");
    }
}
