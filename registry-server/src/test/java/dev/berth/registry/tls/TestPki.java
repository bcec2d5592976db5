package dev.berth.registry.tls;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;

/** A throwaway PKI for TLS tests: a CA, certificates it issues, PEM files, and client SSL contexts. */
record TestPki(KeyPair caKeys, X509Certificate ca) {

    static TestPki create(String name) {
        KeyPair keys = Certificates.ecKeyPair();
        return new TestPki(
                keys, Certificates.issue(name, keys, Certificates.Usage.CA, List.of(), Duration.ofDays(1), null, null));
    }

    X509Certificate issue(String name, KeyPair keys, Certificates.Usage usage, List<String> hosts) {
        return Certificates.issue(name, keys, usage, hosts, Duration.ofDays(1), ca, caKeys.getPrivate());
    }

    /**
     * Writes a key the way OpenSSL's traditional format does: PKCS#1 for RSA, SEC1 for EC (with the curve and the
     * public point inside, as {@code openssl ecparam -genkey} writes it).
     */
    static void writeTraditionalKey(Path file, KeyPair keys) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            if (keys.getPrivate() instanceof java.security.interfaces.ECPrivateKey ec) {
                PrivateKeyInfo info = PrivateKeyInfo.getInstance(ec.getEncoded());
                ECPrivateKey sec1 = new ECPrivateKey(
                        256,
                        ec.getS(),
                        SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded())
                                .getPublicKeyData(),
                        info.getPrivateKeyAlgorithm().getParameters());
                writer.writeObject(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
            } else {
                writer.writeObject(keys.getPrivate());
            }
        }
        Files.writeString(file, out.toString());
    }

    /** A client context trusting this CA, optionally presenting a client certificate. */
    SSLContext clientContext(KeyPair clientKeys, X509Certificate clientCertificate) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (clientKeys != null) {
            KeyStore identity = KeyStore.getInstance("PKCS12");
            identity.load(null, null);
            identity.setKeyEntry(
                    "client", clientKeys.getPrivate(), "x".toCharArray(), new X509Certificate[] {clientCertificate});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(identity, "x".toCharArray());
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }
}
