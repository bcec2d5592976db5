package dev.berth.registry.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import dev.berth.registry.tls.Certificates;
import dev.berth.registry.tls.PemFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key Berth's token endpoint signs with (ES256 on P-256, or RS256), its JWS algorithm and its key id (the
 * RFC 7638 thumbprint of its public JWK, also what the verifier matches {@code kid} against).
 *
 * @param publicJwk the public half, for the verifier and for publishing
 */
public record SigningKey(JWSAlgorithm algorithm, JWSSigner signer, PublicKey publicKey, JWK publicJwk, String keyId) {
    private static final Logger log = LoggerFactory.getLogger(SigningKey.class);

    /**
     * Loads the key at {@code path}; generates one when the file is missing (and writes it there) or when no path
     * is configured (in memory only).
     */
    public static SigningKey loadOrGenerate(Path path, String algorithm) {
        if (path != null && Files.exists(path)) {
            PrivateKey key = PemFiles.readPrivateKey(path, null);
            return of(key, publicOf(key, path));
        }
        KeyPair pair = switch (algorithm.toUpperCase(java.util.Locale.ROOT)) {
            case "ES256" -> Certificates.ecKeyPair();
            case "RS256" -> Certificates.rsaKeyPair(2048);
            default ->
                throw new IllegalStateException(
                        "berth.auth.token.issuer-endpoint.algorithm must be ES256 or RS256, not " + algorithm);
        };
        if (path != null) {
            PemFiles.write(path, pair.getPrivate());
            log.info("generated a {} token signing key in {}", algorithm, path);
        } else {
            log.info("generated an in-memory {} token signing key; tokens will not survive a restart", algorithm);
        }
        return of(pair.getPrivate(), pair.getPublic());
    }

    /** A signing key from a private key and its public key. */
    public static SigningKey of(PrivateKey key, PublicKey publicKey) {
        try {
            if (key instanceof ECPrivateKey ec && publicKey instanceof ECPublicKey ecPublic) {
                if (!Curve.P_256.equals(Curve.forECParameterSpec(ec.getParams()))) {
                    throw new IllegalStateException("an EC signing key must be on P-256 (ES256)");
                }
                JWK jwk = new ECKey.Builder(Curve.P_256, ecPublic).build();
                String kid = jwk.computeThumbprint().toString();
                return new SigningKey(
                        JWSAlgorithm.ES256,
                        new ECDSASigner(ec),
                        publicKey,
                        new ECKey.Builder((ECKey) jwk).keyID(kid).build(),
                        kid);
            }
            if (key instanceof java.security.interfaces.RSAPrivateKey rsa
                    && publicKey instanceof RSAPublicKey rsaPublic) {
                JWK jwk = new RSAKey.Builder(rsaPublic).build();
                String kid = jwk.computeThumbprint().toString();
                return new SigningKey(
                        JWSAlgorithm.RS256,
                        new RSASSASigner(rsa),
                        publicKey,
                        new RSAKey.Builder((RSAKey) jwk).keyID(kid).build(),
                        kid);
            }
        } catch (JOSEException e) {
            throw new IllegalStateException("unusable signing key: " + e.getMessage(), e);
        }
        throw new IllegalStateException("signing key must be EC (P-256) or RSA, not " + key.getAlgorithm());
    }

    private static PublicKey publicOf(PrivateKey key, Path path) {
        try {
            if (key instanceof RSAPrivateCrtKey rsa) {
                return KeyFactory.getInstance("RSA")
                        .generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
            }
            // PKCS#8 EC keys may omit the public point; the PEM key pair of SEC1 files carries it.
            if (key instanceof ECPrivateKey ec) {
                org.bouncycastle.jce.spec.ECParameterSpec spec =
                        org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util.convertSpec(ec.getParams());
                org.bouncycastle.math.ec.ECPoint q =
                        spec.getG().multiply(ec.getS()).normalize();
                java.security.spec.ECPoint w = new java.security.spec.ECPoint(
                        q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
                return KeyFactory.getInstance("EC")
                        .generatePublic(new java.security.spec.ECPublicKeySpec(w, ec.getParams()));
            }
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(path + ": cannot derive public key: " + e.getMessage(), e);
        }
        throw new IllegalStateException(path + ": signing key must be RSA or EC, not " + key.getAlgorithm());
    }
}
