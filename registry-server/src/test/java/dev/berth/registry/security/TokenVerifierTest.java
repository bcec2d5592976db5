package dev.berth.registry.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.registry.tls.Certificates;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issuer and verifier agree with each other, and the verifier's checks hold without a server around them. */
class TokenVerifierTest {
    final Clock clock = Clock.fixed(Instant.parse("2030-01-01T00:00:00Z"), ZoneOffset.UTC);

    @Test
    void issuedTokensVerifyForBothAlgorithms() throws Exception {
        for (KeyPair keys : List.of(Certificates.ecKeyPair(), Certificates.rsaKeyPair(2048))) {
            SigningKey key = SigningKey.of(keys.getPrivate(), keys.getPublic());
            TokenIssuer issuer = new TokenIssuer(key, "iss", "svc", Duration.ofMinutes(5), Duration.ofDays(1), clock);
            TokenVerifier verifier =
                    new TokenVerifier("iss", "svc", Duration.ofSeconds(30), clock, List.of(key.publicKey()), null);
            String token = issuer.accessToken("alice", List.of(ResourceScope.repository("a/b", "pull", "push")))
                    .token();
            TokenVerifier.Verified verified = verifier.verify(token);
            assertThat(verified.subject()).isEqualTo("alice");
            assertThat(verified.access()).containsExactly(ResourceScope.repository("a/b", "pull", "push"));
            String refresh = issuer.refreshToken("alice");
            assertThatThrownBy(() -> verifier.verify(refresh)).hasMessage("not an access token");
            assertThat(verifier.verifyAny(refresh).tokenUse()).isEqualTo("refresh");
        }
    }

    @Test
    void timesAudienceAndIssuerAreChecked() throws Exception {
        KeyPair keys = Certificates.ecKeyPair();
        SigningKey key = SigningKey.of(keys.getPrivate(), keys.getPublic());
        String token = new TokenIssuer(key, "iss", "svc", Duration.ofMinutes(5), Duration.ofDays(1), clock)
                .accessToken("alice", List.of())
                .token();
        Clock later = Clock.offset(clock, Duration.ofMinutes(6));
        Clock earlier = Clock.offset(clock, Duration.ofMinutes(-1));
        assertThatThrownBy(() -> new TokenVerifier(
                                "iss", "svc", Duration.ofSeconds(30), later, List.of(key.publicKey()), null)
                        .verify(token))
                .hasMessage("token expired");
        assertThatThrownBy(() -> new TokenVerifier(
                                "iss", "svc", Duration.ofSeconds(30), earlier, List.of(key.publicKey()), null)
                        .verify(token))
                .hasMessage("token not yet valid");
        assertThatThrownBy(() -> new TokenVerifier(
                                "iss", "other", Duration.ofSeconds(30), clock, List.of(key.publicKey()), null)
                        .verify(token))
                .hasMessage("token is not for this service");
        assertThatThrownBy(() -> new TokenVerifier(
                                "other", "svc", Duration.ofSeconds(30), clock, List.of(key.publicKey()), null)
                        .verify(token))
                .hasMessage("wrong issuer");
        assertThatThrownBy(() -> new TokenVerifier(
                                "iss",
                                "svc",
                                Duration.ofSeconds(30),
                                clock,
                                List.of(Certificates.ecKeyPair().getPublic()),
                                null)
                        .verify(token))
                .hasMessage("invalid signature");
    }
}
