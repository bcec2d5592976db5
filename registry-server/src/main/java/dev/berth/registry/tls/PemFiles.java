package dev.berth.registry.tls;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;

/**
 * Reads and writes PEM with BouncyCastle: certificate chains, private keys in every form OpenSSL writes (PKCS#1
 * {@code RSA PRIVATE KEY}, SEC1 {@code EC PRIVATE KEY}, PKCS#8 {@code PRIVATE KEY}, and their encrypted
 * variants) and public keys ({@code PUBLIC KEY}, {@code RSA PUBLIC KEY}, or the key of a certificate).
 */
public final class PemFiles {
    /** Used as an instance, not registered globally: its cipher names (e.g. PKCS7Padding) are what OpenSSL uses. */
    private static final Provider BC = new BouncyCastleProvider();

    private static final JcaPEMKeyConverter KEYS = new JcaPEMKeyConverter();
    private static final JcaX509CertificateConverter CERTIFICATES = new JcaX509CertificateConverter();

    private PemFiles() {}

    /** All certificates in the file, in file order (leaf first for a chain). */
    public static List<X509Certificate> readCertificates(Path file) {
        List<X509Certificate> certificates = new ArrayList<>();
        for (Object object : readObjects(file)) {
            if (object instanceof X509CertificateHolder holder) {
                certificates.add(certificate(holder));
            }
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException(file + ": no CERTIFICATE block");
        }
        return certificates;
    }

    /** The first private key in the file; {@code password} is needed only for an encrypted key. */
    public static PrivateKey readPrivateKey(Path file, char[] password) {
        try {
            for (Object object : readObjects(file)) {
                if (object instanceof PEMKeyPair pair) {
                    // SEC1 EC keys may lack the public point, so only the private half is converted.
                    return KEYS.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (object instanceof PrivateKeyInfo info) {
                    return KEYS.getPrivateKey(info);
                }
                if (object instanceof PEMEncryptedKeyPair encrypted) {
                    char[] given = requirePassword(file, password);
                    try {
                        return KEYS.getKeyPair(encrypted.decryptKeyPair(new JcePEMDecryptorProviderBuilder()
                                        .setProvider(BC)
                                        .build(given)))
                                .getPrivate();
                    } catch (IOException e) {
                        throw wrongPassword(file, e);
                    }
                }
                if (object instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
                    char[] given = requirePassword(file, password);
                    try {
                        return KEYS.getPrivateKey(
                                encrypted.decryptPrivateKeyInfo(new JceOpenSSLPKCS8DecryptorProviderBuilder()
                                        .setProvider(BC)
                                        .build(given)));
                    } catch (PKCSException e) {
                        throw wrongPassword(file, e);
                    }
                }
            }
        } catch (IOException | OperatorCreationException e) {
            throw new IllegalArgumentException(file + ": cannot read private key: " + e.getMessage(), e);
        }
        throw new IllegalArgumentException(file + ": no private key block");
    }

    /** The public keys in the file: bare public keys and the keys of all certificates. */
    public static List<PublicKey> readPublicKeys(Path file) {
        List<PublicKey> keys = new ArrayList<>();
        try {
            for (Object object : readObjects(file)) {
                if (object instanceof SubjectPublicKeyInfo info) {
                    keys.add(KEYS.getPublicKey(info));
                } else if (object instanceof X509CertificateHolder holder) {
                    keys.add(certificate(holder).getPublicKey());
                } else if (object instanceof PEMKeyPair pair && pair.getPublicKeyInfo() != null) {
                    keys.add(KEYS.getPublicKey(pair.getPublicKeyInfo()));
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read public key: " + e.getMessage(), e);
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(file + ": no PUBLIC KEY or CERTIFICATE block");
        }
        return keys;
    }

    /** PEM text of the given objects (keys are written as PKCS#8, certificates as CERTIFICATE blocks). */
    public static String toPem(Object... objects) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (Object object : objects) {
                // Keys as unencrypted PKCS#8 ("PRIVATE KEY"), which every tool reads.
                writer.writeObject(object instanceof PrivateKey key ? new JcaPKCS8Generator(key, null) : object);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Writes PEM to a file readable by its owner only when it holds a private key. */
    public static void write(Path file, Object... objects) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path temp = Files.createTempFile(parent, ".berth", ".pem");
            try {
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system; the directory's permissions must protect the key
            }
            Files.writeString(temp, toPem(objects), StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
            Files.move(
                    temp,
                    file,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Object> readObjects(Path file) {
        List<Object> objects = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
                PEMParser parser = new PEMParser(reader)) {
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                objects.add(object);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read PEM: " + e.getMessage(), e);
        }
        return objects;
    }

    private static X509Certificate certificate(X509CertificateHolder holder) {
        try {
            return CERTIFICATES.getCertificate(holder);
        } catch (CertificateException e) {
            throw new IllegalArgumentException("bad certificate " + holder.getSubject() + ": " + e.getMessage(), e);
        }
    }

    private static char[] requirePassword(Path file, char[] password) {
        if (password == null) {
            throw new KeyPasswordException(file + ": the private key is encrypted and no password is set", null);
        }
        return password;
    }

    private static KeyPasswordException wrongPassword(Path file, Exception cause) {
        return new KeyPasswordException(file + ": the password does not decrypt the private key", cause);
    }

    /** An encrypted private key without a password, or with one that does not decrypt it. */
    public static final class KeyPasswordException extends IllegalArgumentException {
        KeyPasswordException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
