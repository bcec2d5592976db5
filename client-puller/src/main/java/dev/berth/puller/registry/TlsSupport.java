package dev.berth.puller.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Builds the SSL context: the system trust store, plus an optional CA file, or nothing checked at all. */
final class TlsSupport {
    private TlsSupport() {}

    static SSLContext context(TransportOptions options) throws IOException {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            if (options.insecure()) {
                // Host names are not checked either: the transport sets a verifier that accepts any.
                ctx.init(null, new TrustManager[] {new TrustAll()}, null);
            } else if (options.caFile() != null) {
                X509TrustManager system = trustManager(null);
                X509TrustManager extra = trustManager(keyStoreOf(options.caFile()));
                ctx.init(null, new TrustManager[] {new Either(system, extra)}, null);
            } else {
                // The system trust store takes ~150 ms to load; a plain-HTTP pull never needs it.
                ctx.init(null, new TrustManager[] {new LazySystemTrust()}, null);
            }
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private static KeyStore keyStoreOf(Path pem) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        try (InputStream in = Files.newInputStream(pem)) {
            int i = 0;
            for (Certificate c : cf.generateCertificates(in)) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) {
                throw new IOException("no certificates in " + pem);
            }
        }
        return ks;
    }

    private static X509TrustManager trustManager(KeyStore ks) throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X509 trust manager");
    }

    /** Trusts a chain when either the system store or the extra CA file does. */
    private record Either(X509TrustManager first, X509TrustManager second) implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            try {
                first.checkClientTrusted(chain, authType);
            } catch (CertificateException e) {
                second.checkClientTrusted(chain, authType);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            try {
                first.checkServerTrusted(chain, authType);
            } catch (CertificateException e) {
                second.checkServerTrusted(chain, authType);
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            List<X509Certificate> all = new ArrayList<>(List.of(first.getAcceptedIssuers()));
            all.addAll(List.of(second.getAcceptedIssuers()));
            return all.toArray(new X509Certificate[0]);
        }
    }

    /** The system trust store, loaded at the first TLS handshake rather than when the client is built. */
    private static final class LazySystemTrust implements X509TrustManager {
        private volatile X509TrustManager system;

        private X509TrustManager system() throws CertificateException {
            X509TrustManager tm = system;
            if (tm == null) {
                synchronized (this) {
                    if (system == null) {
                        try {
                            system = trustManager(null);
                        } catch (GeneralSecurityException e) {
                            throw new CertificateException("cannot load the system trust store: " + e.getMessage(), e);
                        }
                    }
                    tm = system;
                }
            }
            return tm;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            system().checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            system().checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            try {
                return system().getAcceptedIssuers();
            } catch (CertificateException e) {
                return new X509Certificate[0];
            }
        }
    }

    /** --insecure: the user accepted that anyone on the path can serve the content (digests still hold). */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
