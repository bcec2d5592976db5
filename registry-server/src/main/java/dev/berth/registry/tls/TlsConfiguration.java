package dev.berth.registry.tls;

import dev.berth.registry.config.ConfigurationProblem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.ssl.DefaultSslBundleRegistry;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundleKey;
import org.springframework.boot.ssl.SslStoreBundle;
import org.springframework.boot.web.server.Ssl;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * Turns {@code berth.tls.*} into an SSL bundle for the Netty server: PEM files are read with {@link PemFiles}
 * into in-memory key and trust stores, so operators deal only with the PEM files their CA hands out. Runs after
 * Spring Boot's own customizer, so {@code berth.tls} wins over {@code server.ssl} when both are set.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "berth.tls", name = "enabled", havingValue = "true")
public class TlsConfiguration {
    private static final Logger log = LoggerFactory.getLogger(TlsConfiguration.class);
    static final String BUNDLE = "berth-tls";
    private static final String CERTIFICATE = "berth.tls.certificate";
    private static final String PRIVATE_KEY = "berth.tls.private-key";
    private static final String KEY_PASSWORD = "berth.tls.key-password";
    private static final String CLIENT_CA = "berth.tls.client-ca";
    private static final String ALIAS = "berth";

    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> berthTlsCustomizer(TlsProperties tls) {
        SslBundle bundle = bundle(tls);
        return new OrderedCustomizer(factory -> {
            Ssl ssl = Ssl.forBundle(BUNDLE);
            ssl.setClientAuth(
                    switch (tls.getClientAuth()) {
                        case NONE -> Ssl.ClientAuth.NONE;
                        case WANT -> Ssl.ClientAuth.WANT;
                        case NEED -> Ssl.ClientAuth.NEED;
                    });
            factory.setSsl(ssl);
            factory.setSslBundles(new DefaultSslBundleRegistry(BUNDLE, bundle));
        });
    }

    static SslBundle bundle(TlsProperties tls) {
        Path certificatePath = tls.getCertificate();
        Path keyPath = tls.getPrivateKey();
        if (tls.getSelfSigned().isEnabled()) {
            Path dir = tls.getSelfSigned().getDirectory();
            certificatePath = dir.resolve("tls.crt");
            keyPath = dir.resolve("tls.key");
            if (!Files.exists(certificatePath) || !Files.exists(keyPath)) {
                KeyPair keys = Certificates.ecKeyPair();
                X509Certificate certificate = Certificates.issue(
                        "berth-dev",
                        keys,
                        Certificates.Usage.SERVER,
                        tls.getSelfSigned().getHosts(),
                        Duration.ofDays(365),
                        null,
                        null);
                PemFiles.write(keyPath, keys.getPrivate());
                PemFiles.write(certificatePath, certificate);
                log.warn(
                        "generated a self-signed development certificate in {} (hosts {}); clients must trust {}",
                        dir.toAbsolutePath(),
                        tls.getSelfSigned().getHosts(),
                        certificatePath.toAbsolutePath());
            }
        }
        if (certificatePath == null || keyPath == null) {
            throw new ConfigurationProblem(
                    certificatePath == null ? CERTIFICATE : PRIVATE_KEY,
                    "berth.tls.enabled=true needs both berth.tls.certificate and berth.tls.private-key.",
                    "Set berth.tls.certificate and berth.tls.private-key to PEM files, or set "
                            + "berth.tls.self-signed.enabled=true for a development certificate.");
        }
        Path certificateFile = ConfigurationProblem.readableFile(
                CERTIFICATE, certificatePath, "a PEM file with the server certificate and its chain");
        List<X509Certificate> chain = ConfigurationProblem.check(
                CERTIFICATE,
                "Point " + CERTIFICATE + " at a PEM file holding the server certificate (BEGIN CERTIFICATE), "
                        + "followed by its intermediates.",
                () -> PemFiles.readCertificates(certificateFile));
        PrivateKey key = privateKey(tls, keyPath);
        if (!pairs(key, chain.get(0).getPublicKey())) {
            throw new ConfigurationProblem(
                    PRIVATE_KEY,
                    "The private key in " + keyPath.toAbsolutePath()
                            + " does not belong to the certificate in " + certificatePath.toAbsolutePath()
                            + " (subject "
                            + chain.get(0).getSubjectX500Principal().getName() + ").",
                    "Point " + PRIVATE_KEY + " at the key the certificate was issued for, or " + CERTIFICATE
                            + " at that key's certificate (the leaf certificate must come first in the file).");
        }
        try {
            // The stores live only in memory; a random password keeps the API happy.
            byte[] random = new byte[18];
            new SecureRandom().nextBytes(random);
            String password = Base64.getEncoder().encodeToString(random);
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            keyStore.setKeyEntry(ALIAS, key, password.toCharArray(), chain.toArray(Certificate[]::new));
            KeyStore trustStore = null;
            if (tls.getClientAuth() != TlsProperties.ClientAuth.NONE) {
                trustStore = KeyStore.getInstance("PKCS12");
                trustStore.load(null, null);
                int i = 0;
                for (X509Certificate ca : clientCas(tls)) {
                    trustStore.setCertificateEntry("client-ca-" + i++, ca);
                }
            }
            return SslBundle.of(SslStoreBundle.of(keyStore, password, trustStore), SslBundleKey.of(password, ALIAS));
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new ConfigurationProblem(
                    CERTIFICATE,
                    "Cannot build a key store from " + certificatePath + " and " + keyPath + ": " + e.getMessage(),
                    "Check both PEM files.",
                    e);
        }
    }

    private static PrivateKey privateKey(TlsProperties tls, Path keyPath) {
        Path keyFile = ConfigurationProblem.readableFile(PRIVATE_KEY, keyPath, "a PEM private key");
        char[] password =
                tls.getKeyPassword() == null ? null : tls.getKeyPassword().toCharArray();
        try {
            return ConfigurationProblem.check(
                    PRIVATE_KEY,
                    "Point " + PRIVATE_KEY + " at a PEM private key "
                            + "(PKCS#1, PKCS#8 or EC; BEGIN ... PRIVATE KEY).",
                    () -> PemFiles.readPrivateKey(keyFile, password));
        } catch (ConfigurationProblem e) {
            if (e.getCause() instanceof PemFiles.KeyPasswordException wrong) {
                throw new ConfigurationProblem(
                        KEY_PASSWORD,
                        wrong.getMessage() + ".",
                        password == null
                                ? "Set " + KEY_PASSWORD + " to the key's password, or point " + PRIVATE_KEY
                                        + " at an unencrypted key (openssl pkey -in KEY -out PLAIN)."
                                : "Set " + KEY_PASSWORD + " to the password the key was encrypted with.",
                        wrong);
            }
            throw e;
        }
    }

    private static List<X509Certificate> clientCas(TlsProperties tls) {
        if (tls.getClientCa() == null) {
            throw new ConfigurationProblem(
                    CLIENT_CA,
                    "berth.tls.client-auth=" + tls.getClientAuth().name().toLowerCase(java.util.Locale.ROOT)
                            + " needs the CA certificates that client "
                            + "certificates must chain to.",
                    "Set " + CLIENT_CA + " to a PEM file of CA certificates, or " + "set berth.tls.client-auth=none.");
        }
        Path file = ConfigurationProblem.readableFile(CLIENT_CA, tls.getClientCa(), "a PEM file of CA certificates");
        return ConfigurationProblem.check(
                CLIENT_CA,
                "Point " + CLIENT_CA + " at a PEM file of CA certificates " + "(BEGIN CERTIFICATE).",
                () -> PemFiles.readCertificates(file));
    }

    /** Whether {@code key} is the private half of {@code publicKey}: it signs, and the public key verifies. */
    private static boolean pairs(PrivateKey key, PublicKey publicKey) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return true; // an algorithm not known here is left to the TLS stack
        }
        try {
            byte[] probe = "berth key pair check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Ordered last, after Boot's server customizer has applied {@code server.ssl}. */
    private record OrderedCustomizer(WebServerFactoryCustomizer<NettyReactiveWebServerFactory> delegate)
            implements WebServerFactoryCustomizer<NettyReactiveWebServerFactory>, Ordered {
        @Override
        public void customize(NettyReactiveWebServerFactory factory) {
            delegate.customize(factory);
        }

        @Override
        public int getOrder() {
            return Ordered.LOWEST_PRECEDENCE;
        }
    }
}
