package dev.berth.registry.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Signs the tokens of Berth's own token endpoint: access tokens in the registry's JWT format ({@code iss},
 * {@code sub}, {@code aud}, {@code exp}, {@code nbf}, {@code iat}, {@code jti}, {@code access}) and refresh
 * tokens, which are JWTs of the same issuer marked {@code token_use=refresh} and carrying no access.
 */
public class TokenIssuer {
    private final SigningKey key;
    private final String issuer;
    private final String audience;
    private final Duration accessTtl;
    private final Duration refreshTtl;
    private final Clock clock;

    /** A signed access token and its times. */
    public record IssuedToken(String token, Instant issuedAt, Duration expiresIn) {}

    public TokenIssuer(
            SigningKey key, String issuer, String audience, Duration accessTtl, Duration refreshTtl, Clock clock) {
        this.key = key;
        this.issuer = issuer;
        this.audience = audience;
        this.accessTtl = accessTtl;
        this.refreshTtl = refreshTtl;
        this.clock = clock;
    }

    public SigningKey key() {
        return key;
    }

    /** An access token for {@code subject} (empty for anonymous) granting {@code access}. */
    public IssuedToken accessToken(String subject, List<ResourceScope> access) {
        Instant now = clock.instant();
        List<Map<String, Object>> claim = new ArrayList<>();
        for (ResourceScope scope : access) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("type", scope.type());
            entry.put("name", scope.name());
            entry.put("actions", scope.orderedActions());
            claim.add(entry);
        }
        JWTClaimsSet claims =
                base(subject, now, accessTtl).claim("access", claim).build();
        return new IssuedToken(sign(claims), now, accessTtl);
    }

    /** A refresh token for {@code subject}. */
    public String refreshToken(String subject) {
        Instant now = clock.instant();
        return sign(base(subject, now, refreshTtl)
                .claim(TokenVerifier.TOKEN_USE, "refresh")
                .build());
    }

    private JWTClaimsSet.Builder base(String subject, Instant now, Duration ttl) {
        return new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(subject)
                .audience(audience)
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .jwtID(UUID.randomUUID().toString());
    }

    private String sign(JWTClaimsSet claims) {
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(key.algorithm())
                        .type(JOSEObjectType.JWT)
                        .keyID(key.keyId())
                        .build(),
                claims);
        try {
            jwt.sign(key.signer());
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign token", e);
        }
        return jwt.serialize();
    }
}
