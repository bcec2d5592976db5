package dev.berth.registry.tls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
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
    private static final String ALIAS = "berth";

    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> berthTlsCustomizer(TlsProperties tls) {
        SslBundle bundle = bundle(tls);
        return new OrderedCustomizer(factory -> {
            Ssl ssl = Ssl.forBundle(BUNDLE);
            ssl.setClientAuth(switch (tls.getClientAuth()) {
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
                X509Certificate certificate = Certificates.issue("berth-dev", keys, Certificates.Usage.SERVER,
                        tls.getSelfSigned().getHosts(), Duration.ofDays(365), null, null);
                PemFiles.write(keyPath, keys.getPrivate());
                PemFiles.write(certificatePath, certificate);
                log.warn("generated a self-signed development certificate in {} (hosts {}); clients must trust {}",
                        dir.toAbsolutePath(), tls.getSelfSigned().getHosts(), certificatePath.toAbsolutePath());
            }
        }
        if (certificatePath == null || keyPath == null) {
            throw new IllegalStateException("berth.tls.enabled=true needs berth.tls.certificate and "
                    + "berth.tls.private-key (or berth.tls.self-signed.enabled=true)");
        }
        try {
            List<X509Certificate> chain = PemFiles.readCertificates(certificatePath);
            PrivateKey key = PemFiles.readPrivateKey(keyPath,
                    tls.getKeyPassword() == null ? null : tls.getKeyPassword().toCharArray());
            // The stores live only in memory; a random password keeps the API happy.
            byte[] random = new byte[18];
            new SecureRandom().nextBytes(random);
            String password = Base64.getEncoder().encodeToString(random);
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            keyStore.setKeyEntry(ALIAS, key, password.toCharArray(), chain.toArray(Certificate[]::new));
            KeyStore trustStore = null;
            if (tls.getClientAuth() != TlsProperties.ClientAuth.NONE) {
                if (tls.getClientCa() == null) {
                    throw new IllegalStateException("berth.tls.client-auth needs berth.tls.client-ca");
                }
                trustStore = KeyStore.getInstance("PKCS12");
                trustStore.load(null, null);
                int i = 0;
                for (X509Certificate ca : PemFiles.readCertificates(tls.getClientCa())) {
                    trustStore.setCertificateEntry("client-ca-" + i++, ca);
                }
            }
            return SslBundle.of(SslStoreBundle.of(keyStore, password, trustStore), SslBundleKey.of(password, ALIAS));
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot set up TLS from " + certificatePath + ": " + e.getMessage(), e);
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
