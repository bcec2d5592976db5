package dev.berth.registry.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.MalformedURLException;
import java.net.URI;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies the bearer tokens of the registry token protocol: a JWS signed with RS256 or ES256 by a trusted key
 * (configured PEM keys or certificates, Berth's own issuer key, an optional JWKS URL), with the configured issuer,
 * the service among its audiences, inside its validity window, and an {@code access} claim listing the granted
 * resource scopes. Everything else ({@code alg: none}, HMAC, unknown keys, refresh tokens) is rejected.
 */
public class TokenVerifier {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TokenVerifier.class);
    /** Claim that marks Berth's refresh tokens, which are never accepted as access tokens. */
    static final String TOKEN_USE = "token_use";

    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);

    private final String issuer;
    private final String audience;
    private final Duration clockSkew;
    private final Clock clock;
    private final List<JWK> localKeys;
    private final JWKSource<SecurityContext> remoteKeys;

    /** A verified token: who it was issued to and what it grants. */
    public record Verified(String subject, List<ResourceScope> access, Instant expiresAt, String tokenUse) {}

    /** Why a token was refused; the message is safe to show to the client. */
    public static class InvalidTokenException extends Exception {
        public InvalidTokenException(String message) {
            super(message, null, false, false);
        }
    }

    public TokenVerifier(
            String issuer,
            String audience,
            Duration clockSkew,
            Clock clock,
            Collection<PublicKey> trustedKeys,
            URI jwksUrl) {
        this.issuer = issuer;
        this.audience = audience;
        this.clockSkew = clockSkew;
        this.clock = clock;
        List<JWK> keys = new ArrayList<>();
        for (PublicKey key : trustedKeys) {
            keys.add(toJwk(key));
        }
        this.localKeys = List.copyOf(keys);
        try {
            this.remoteKeys = jwksUrl == null
                    ? null
                    : JWKSourceBuilder.create(jwksUrl.toURL()).retrying(true).build();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("berth.auth.token.jwks-url: " + e.getMessage(), e);
        }
    }

    /** Whether verification may block (a JWKS fetch); callers then move it off the event loop. */
    public boolean mayBlock() {
        return remoteKeys != null;
    }

    /** Verifies an access token. */
    public Verified verify(String token) throws InvalidTokenException {
        Verified verified = verifyAny(token);
        if (verified.tokenUse() != null && !verified.tokenUse().equals("access")) {
            throw new InvalidTokenException("not an access token");
        }
        return verified;
    }

    /** Verifies a token of any use (access or refresh): signature, issuer, audience, times. */
    Verified verifyAny(String token) throws InvalidTokenException {
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            // Also how "alg": "none" ends: Nimbus refuses to parse an unsecured JWT as a JWS.
            throw new InvalidTokenException("malformed token");
        }
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        if (!ALGORITHMS.contains(alg)) {
            throw new InvalidTokenException("signature algorithm " + alg + " not accepted");
        }
        if (!signedByTrustedKey(jwt, alg)) {
            throw new InvalidTokenException("invalid signature");
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new InvalidTokenException("malformed claims");
        }
        if (!issuer.equals(claims.getIssuer())) {
            throw new InvalidTokenException("wrong issuer");
        }
        if (claims.getAudience() == null || !claims.getAudience().contains(audience)) {
            throw new InvalidTokenException("token is not for this service");
        }
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null || now.isAfter(exp.toInstant().plus(clockSkew))) {
            throw new InvalidTokenException("token expired");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.plus(clockSkew).isBefore(nbf.toInstant())) {
            throw new InvalidTokenException("token not yet valid");
        }
        String tokenUse;
        try {
            tokenUse = claims.getStringClaim(TOKEN_USE);
        } catch (ParseException e) {
            throw new InvalidTokenException("malformed claims");
        }
        return new Verified(
                claims.getSubject() == null ? "" : claims.getSubject(), access(claims), exp.toInstant(), tokenUse);
    }

    /**
     * Tries the configured keys first and the JWKS keys only when none of those verifies, so that a JWKS outage
     * does not affect tokens signed by local keys. Keys embedded in the token ({@code jwk}, {@code x5c}) are never
     * trusted.
     */
    private boolean signedByTrustedKey(SignedJWT jwt, JWSAlgorithm alg) throws InvalidTokenException {
        String kid = jwt.getHeader().getKeyID();
        if (verifiesWithAny(jwt, alg, candidates(localKeys, kid, alg))) {
            return true;
        }
        if (remoteKeys == null) {
            return false;
        }
        List<JWK> remote;
        try {
            JWKMatcher matcher = kid == null
                    ? new JWKMatcher.Builder().build()
                    : new JWKMatcher.Builder().keyID(kid).build();
            remote = remoteKeys.get(new JWKSelector(matcher), null);
        } catch (com.nimbusds.jose.jwk.source.RateLimitReachedException e) {
            // An unknown kid made the source refetch too often (Nimbus's guard against refetch storms caused by
            // forged tokens): the key is not in the set.
            return false;
        } catch (KeySourceException e) {
            log.warn("cannot fetch signing keys from the JWKS URL: {}", e.toString());
            throw new InvalidTokenException("signing keys unavailable");
        }
        return verifiesWithAny(jwt, alg, candidates(remote, kid, alg));
    }

    private static boolean verifiesWithAny(SignedJWT jwt, JWSAlgorithm alg, List<JWK> keys) {
        for (JWK key : keys) {
            try {
                JWSVerifier verifier = alg.equals(JWSAlgorithm.ES256)
                        ? new ECDSAVerifier((ECPublicKey) ((AsymmetricJWK) key).toPublicKey())
                        : new RSASSAVerifier((RSAPublicKey) ((AsymmetricJWK) key).toPublicKey());
                if (jwt.verify(verifier)) {
                    return true;
                }
            } catch (JOSEException | ClassCastException e) {
                // wrong key type or curve for this token: try the next key
            }
        }
        return false;
    }

    /**
     * Keys to try: those whose id matches the token's {@code kid}; without a match (other issuers use other key
     * id schemes), every key of the algorithm's type.
     */
    private static List<JWK> candidates(List<JWK> keys, String kid, JWSAlgorithm alg) {
        Class<? extends JWK> type = alg.equals(JWSAlgorithm.ES256) ? ECKey.class : RSAKey.class;
        Set<JWK> matching = new LinkedHashSet<>();
        Set<JWK> ofType = new LinkedHashSet<>();
        for (JWK key : keys) {
            if (type.isInstance(key)) {
                ofType.add(key);
                if (kid != null && kid.equals(key.getKeyID())) {
                    matching.add(key);
                }
            }
        }
        return new ArrayList<>(matching.isEmpty() ? ofType : matching);
    }

    private static List<ResourceScope> access(JWTClaimsSet claims) throws InvalidTokenException {
        Object claim = claims.getClaim("access");
        List<ResourceScope> scopes = new ArrayList<>();
        if (claim == null) {
            return scopes;
        }
        if (!(claim instanceof List<?> entries)) {
            throw new InvalidTokenException("malformed access claim");
        }
        for (Object entry : entries) {
            if (!(entry instanceof Map<?, ?> map)
                    || !(map.get("type") instanceof String type)
                    || !(map.get("name") instanceof String name)) {
                throw new InvalidTokenException("malformed access claim");
            }
            Set<String> actions = new LinkedHashSet<>();
            if (map.get("actions") instanceof List<?> list) {
                for (Object action : list) {
                    if (action instanceof String s) {
                        actions.add(s);
                    }
                }
            }
            scopes.add(new ResourceScope(type, name, actions));
        }
        return scopes;
    }

    private static JWK toJwk(PublicKey key) {
        if (key instanceof ECPublicKey ec) {
            try {
                ECKey jwk =
                        new ECKey.Builder(com.nimbusds.jose.jwk.Curve.forECParameterSpec(ec.getParams()), ec).build();
                return new ECKey.Builder(jwk)
                        .keyID(jwk.computeThumbprint().toString())
                        .build();
            } catch (JOSEException | NullPointerException e) {
                throw new IllegalArgumentException("unsupported EC curve in trusted key", e);
            }
        }
        if (key instanceof RSAPublicKey rsa) {
            try {
                RSAKey jwk = new RSAKey.Builder(rsa).build();
                return new RSAKey.Builder(jwk)
                        .keyID(jwk.computeThumbprint().toString())
                        .build();
            } catch (JOSEException e) {
                throw new IllegalArgumentException(e);
            }
        }
        throw new IllegalArgumentException("trusted keys must be RSA or EC, not " + key.getAlgorithm());
    }
}
