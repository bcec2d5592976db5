package dev.berth.registry.security;

import static dev.berth.registry.security.SecurityTestSupport.HTTP;
import static dev.berth.registry.security.SecurityTestSupport.basic;
import static dev.berth.registry.security.SecurityTestSupport.htpasswdLine;
import static dev.berth.registry.security.SecurityTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.testing.LogCapture;
import dev.berth.registry.tls.Certificates;
import dev.berth.registry.tls.PemFiles;
import dev.berth.storage.StorageDriver;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.bean.override.convention.TestBean;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code berth.auth.mode=token} with Berth's own token endpoint: challenges, the GET and POST token dialects,
 * refresh tokens, grants limited by the access rules, tokens from other trusted keys (a PEM certificate, a JWKS
 * URL), every way a token can be wrong, and skopeo/podman going through the whole flow.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TokenAuthTest {
    static final String SERVICE = "berth-test";
    static final String ISSUER = "berth-test-issuer";
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path dir;

    /** The issuer endpoint's own key: the test signs with it too, to forge otherwise-valid tokens. */
    static KeyPair issuerKey;
    /** An RSA key whose certificate is a trusted key. */
    static KeyPair certifiedRsaKey;
    /** An EC key published by the JWKS server. */
    static ECKey jwksKey;

    static HttpServer jwksServer;

    @LocalServerPort
    int port;

    @Autowired
    FailureThrottle throttle;

    /** The hash of every bcrypt comparison the registry made. */
    static final List<String> CHECKED = new CopyOnWriteArrayList<>();

    @TestBean(name = "htpasswdFile")
    HtpasswdFile htpasswdFile;

    static HtpasswdFile htpasswdFile() {
        return SecurityTestSupport.recordingHtpasswd(
                dir.resolve("htpasswd"), new AuthProperties.Htpasswd().getReloadInterval(), CHECKED);
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        issuerKey = Certificates.ecKeyPair();
        PemFiles.write(dir.resolve("issuer.key"), issuerKey.getPrivate());
        certifiedRsaKey = Certificates.rsaKeyPair(2048);
        PemFiles.write(
                dir.resolve("external.crt"),
                Certificates.issue(
                        "external-token-service",
                        certifiedRsaKey,
                        Certificates.Usage.CLIENT,
                        List.of(),
                        Duration.ofDays(1),
                        null,
                        null));
        KeyPair jwksPair = Certificates.ecKeyPair();
        jwksKey = new ECKey.Builder(Curve.P_256, (ECPublicKey) jwksPair.getPublic())
                .privateKey((ECPrivateKey) jwksPair.getPrivate())
                .keyID("jwks-key-1")
                .build();
        byte[] jwks = new JWKSet(jwksKey.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        jwksServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        jwksServer.createContext("/jwks.json", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, jwks.length);
            exchange.getResponseBody().write(jwks);
            exchange.close();
        });
        jwksServer.start();

        Path htpasswd = dir.resolve("htpasswd");
        Files.write(htpasswd, List.of(htpasswdLine("alice", "alice-secret"), htpasswdLine("bob", "bob-secret")));
        registry.add("berth.storage.filesystem.root", () -> dir.resolve("data").toString());
        registry.add("berth.auth.mode", () -> "token");
        registry.add("berth.auth.htpasswd.path", htpasswd::toString);
        registry.add("berth.auth.token.service", () -> SERVICE);
        registry.add("berth.auth.token.issuer", () -> ISSUER);
        registry.add(
                "berth.auth.token.trusted-keys",
                () -> dir.resolve("external.crt").toString());
        registry.add(
                "berth.auth.token.jwks-url",
                () -> "http://127.0.0.1:" + jwksServer.getAddress().getPort() + "/jwks.json");
        registry.add("berth.auth.token.issuer-endpoint.enabled", () -> "true");
        registry.add(
                "berth.auth.token.issuer-endpoint.signing-key",
                () -> dir.resolve("issuer.key").toString());
        registry.add("berth.auth.throttle.max-failures", () -> "50");
        registry.add("berth.auth.rules[0].users", () -> "alice");
        registry.add("berth.auth.rules[0].repository", () -> "**");
        registry.add("berth.auth.rules[0].actions", () -> "*");
        registry.add("berth.auth.rules[1].users", () -> "alice");
        registry.add("berth.auth.rules[1].type", () -> "registry");
        registry.add("berth.auth.rules[1].repository", () -> "catalog");
        registry.add("berth.auth.rules[1].actions", () -> "*");
        registry.add("berth.auth.rules[2].users", () -> "bob");
        registry.add("berth.auth.rules[2].repository", () -> "team/**");
        registry.add("berth.auth.rules[2].actions", () -> "pull");
        registry.add("berth.auth.rules[3].repository", () -> "public/**");
        registry.add("berth.auth.rules[3].anonymous", () -> "true");
    }

    @AfterAll
    static void stopJwks() {
        jwksServer.stop(0);
    }

    @BeforeEach
    void forgetFailures() {
        throttle.clear();
    }

    String realm() {
        return "http://127.0.0.1:" + port + "/auth/token";
    }

    // ---- challenges

    @Test
    void challengesNameRealmServiceAndScope() throws Exception {
        assertChallenge(send(port, "GET", "/v2/", null), null, null);
        assertChallenge(send(port, "GET", "/v2/team/app/manifests/latest", null), "repository:team/app:pull", null);
        assertChallenge(
                send(port, "HEAD", "/v2/team/app/blobs/sha256:" + "b".repeat(64), null),
                "repository:team/app:pull",
                null);
        assertChallenge(
                send(port, "PUT", "/v2/team/app/manifests/latest", null), "repository:team/app:pull,push", null);
        assertChallenge(send(port, "POST", "/v2/team/app/blobs/uploads/", null), "repository:team/app:pull,push", null);
        assertChallenge(
                send(port, "DELETE", "/v2/team/app/manifests/sha256:" + "c".repeat(64), null),
                "repository:team/app:delete",
                null);
        assertChallenge(send(port, "GET", "/v2/_catalog", null), "registry:catalog:*", null);
        // Basic credentials are not what this registry takes: challenged, not checked.
        assertChallenge(send(port, "GET", "/v2/", basic("alice", "alice-secret")), null, null);
    }

    // ---- the token endpoint

    @Test
    void getWithBasicCredentialsGrantsWhatWasAskedAndAllowed() throws Exception {
        JsonNode response = tokenGet("alice", "alice-secret", "scope=repository:team/app:pull,push");
        assertThat(response.get("token").asString())
                .isEqualTo(response.get("access_token").asString());
        assertThat(response.get("expires_in").asLong()).isEqualTo(300);
        assertThat(Instant.parse(response.get("issued_at").asString()))
                .isCloseTo(Instant.now(), org.assertj.core.api.Assertions.within(Duration.ofMinutes(1)));
        assertThat(response.has("refresh_token")).isFalse();
        String token = response.get("token").asString();
        assertThat(access(token))
                .containsExactly(Map.of("type", "repository", "name", "team/app", "actions", List.of("pull", "push")));
        assertThat(SignedJWT.parse(token).getJWTClaimsSet().getAudience()).containsExactly(SERVICE);
        assertThat(SignedJWT.parse(token).getJWTClaimsSet().getSubject()).isEqualTo("alice");

        assertThat(send(port, "GET", "/v2/", bearer(token)).statusCode()).isEqualTo(200);
        assertThat(send(port, "GET", "/v2/team/app/tags/list", bearer(token)).statusCode())
                .isNotIn(401, 403);
        assertThat(send(port, "PUT", "/v2/team/app/manifests/latest", bearer(token))
                        .statusCode())
                .isNotIn(401, 403);
    }

    @Test
    void loginTokenWithoutScopeOpensOnlyTheBase() throws Exception {
        String token = tokenGet("alice", "alice-secret", "").get("token").asString();
        assertThat(access(token)).isEmpty();
        assertThat(send(port, "GET", "/v2/", bearer(token)).statusCode()).isEqualTo(200);
        assertChallenge(
                send(port, "GET", "/v2/team/app/tags/list", bearer(token)),
                "repository:team/app:pull",
                "insufficient_scope");
    }

    @Test
    void multipleScopesAndCatalog() throws Exception {
        String token = tokenGet(
                        "alice",
                        "alice-secret",
                        "scope=repository:a/one:pull&scope=repository:b/two:pull,delete&scope=registry:catalog:*")
                .get("token")
                .asString();
        assertThat(access(token)).hasSize(3);
        assertThat(send(port, "GET", "/v2/_catalog", bearer(token)).statusCode())
                .isNotIn(401, 403);
        assertThat(send(port, "DELETE", "/v2/b/two/manifests/sha256:" + "d".repeat(64), bearer(token))
                        .statusCode())
                .isNotIn(401, 403);
        String bobs = tokenGet("bob", "bob-secret", "scope=registry:catalog:*")
                .get("token")
                .asString();
        assertThat(access(bobs)).isEmpty();
        // Without the catalog grant the catalog still answers, with what the token's subject may pull.
        assertThat(send(port, "GET", "/v2/_catalog", bearer(bobs)).statusCode()).isEqualTo(200);
    }

    @Test
    void catalogListsWhatTheTokensSubjectMayPull(@Autowired StorageDriver driver) throws Exception {
        for (String name : List.of("other/app", "public/listed", "secret/hidden", "team/listed")) {
            driver.putContent(
                    RegistryLayout.repository(name) + "/_manifests/tags/latest/current/link",
                    "sha256:0".getBytes(StandardCharsets.US_ASCII));
        }
        String bobs = tokenGet("bob", "bob-secret", "scope=registry:catalog:*")
                .get("token")
                .asString();
        List<String> bobSees = catalog(bobs);
        assertThat(bobSees).contains("public/listed", "team/listed").doesNotContain("secret/hidden", "other/app");
        assertThat(bobSees).allMatch(name -> name.startsWith("public/") || name.startsWith("team/"));

        String anonymous =
                tokenGet(null, null, "scope=registry:catalog:*").get("token").asString();
        assertThat(catalog(anonymous)).contains("public/listed").allMatch(name -> name.startsWith("public/"));

        String alices = tokenGet("alice", "alice-secret", "scope=registry:catalog:*")
                .get("token")
                .asString();
        assertThat(catalog(alices)).contains("other/app", "public/listed", "secret/hidden", "team/listed");
    }

    private List<String> catalog(String token) throws Exception {
        HttpResponse<String> response = send(port, "GET", "/v2/_catalog?n=1000", bearer(token));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return CatalogVisibilityTest.names(response.body());
    }

    @Test
    void grantsAreCutToThePolicy() throws Exception {
        String token = tokenGet("bob", "bob-secret", "scope=repository:team/app:pull,push,delete")
                .get("token")
                .asString();
        assertThat(access(token))
                .containsExactly(Map.of("type", "repository", "name", "team/app", "actions", List.of("pull")));
        // A pull-only token used to push: asked to come back with push.
        assertChallenge(
                send(port, "PUT", "/v2/team/app/manifests/latest", bearer(token)),
                "repository:team/app:pull,push",
                "insufficient_scope");
        assertChallenge(
                send(port, "POST", "/v2/team/app/blobs/uploads/", bearer(token)),
                "repository:team/app:pull,push",
                "insufficient_scope");
        assertChallenge(
                send(port, "DELETE", "/v2/team/app/manifests/sha256:" + "e".repeat(64), bearer(token)),
                "repository:team/app:delete",
                "insufficient_scope");
    }

    @Test
    void aTokenForOneRepositoryDoesNotOpenAnother() throws Exception {
        String token = tokenGet("alice", "alice-secret", "scope=repository:team/a:pull,push")
                .get("token")
                .asString();
        assertThat(send(port, "GET", "/v2/team/a/tags/list", bearer(token)).statusCode())
                .isNotIn(401, 403);
        assertChallenge(
                send(port, "GET", "/v2/team/b/tags/list", bearer(token)),
                "repository:team/b:pull",
                "insufficient_scope");
        assertChallenge(
                send(port, "GET", "/v2/team/a/sub/tags/list", bearer(token)),
                "repository:team/a/sub:pull",
                "insufficient_scope");
        // Mounting from a repository the token does not cover mounts nothing: the POST starts an upload
        // (CrossMountTokenTest has the whole rule).
        String mount = "/v2/team/a/blobs/uploads/?mount=sha256:" + "f".repeat(64) + "&from=team/b";
        HttpResponse<String> response = send(port, "POST", mount, bearer(token));
        assertThat(response.statusCode()).isEqualTo(202);
    }

    @Test
    void controlCharactersInScopesAreEscapedInTheAuditLog() throws Exception {
        try (LogCapture audit = LogCapture.start("berth.audit")) {
            tokenGet("alice", "alice-secret", "scope=" + enc("repository:log/\u001b[2J\u0007\u0000\u007f\u2028x:pull"));
            String line = audit.await(l -> l.startsWith("event=token user=alice "), Duration.ofSeconds(30));
            assertThat(line).contains(" requested=\"repository:log/\\x1b[2J\\x07\\x00\\x7f\\u2028x:pull\" ");
            assertThat(line.chars().filter(c -> c < 0x20 || c == 0x7f || c == 0x2028))
                    .as(line)
                    .isEmpty();
        }
    }

    @Test
    void wildcardScopesGrantNothing() throws Exception {
        for (String scope : List.of(
                "repository:*:pull,push", "repository:team/*:pull,push", "repository:**:*", "repository:team/app:*")) {
            String token =
                    tokenGet("bob", "bob-secret", "scope=" + scope).get("token").asString();
            for (Map<String, Object> entry : access(token)) {
                assertThat(entry.get("name")).as(scope).isEqualTo("team/app");
                assertThat(entry.get("actions")).as(scope).isEqualTo(List.of());
            }
            assertChallenge(
                    send(port, "PUT", "/v2/team/app/manifests/latest", bearer(token)),
                    "repository:team/app:pull,push",
                    "insufficient_scope");
        }
    }

    @Test
    void anonymousClientsGetAnonymousRules() throws Exception {
        JsonNode response = tokenGet(null, null, "scope=repository:public/tools:pull,push");
        String token = response.get("token").asString();
        assertThat(access(token))
                .containsExactly(Map.of("type", "repository", "name", "public/tools", "actions", List.of("pull")));
        assertThat(send(port, "GET", "/v2/public/tools/tags/list", bearer(token))
                        .statusCode())
                .isNotIn(401, 403);
        String other = tokenGet(null, null, "scope=repository:team/app:pull")
                .get("token")
                .asString();
        assertThat(access(other)).isEmpty();
    }

    @Test
    void refreshTokensFromGetAndPostDialects() throws Exception {
        JsonNode login = tokenGet("alice", "alice-secret", "offline_token=true&client_id=test");
        String refresh = login.get("refresh_token").asString();
        assertThat(refresh).isNotBlank();
        // A refresh token is not an access token.
        assertChallenge(send(port, "GET", "/v2/", bearer(refresh)), null, "invalid_token");

        JsonNode refreshed = tokenPost(
                "grant_type=refresh_token&service=" + SERVICE + "&client_id=test" + "&refresh_token=" + refresh
                        + "&scope=" + enc("repository:team/app:pull repository:x/y:push"),
                null);
        String token = refreshed.get("access_token").asString();
        assertThat(access(token)).hasSize(2);
        assertThat(SignedJWT.parse(token).getJWTClaimsSet().getSubject()).isEqualTo("alice");
        assertThat(send(port, "HEAD", "/v2/team/app/manifests/latest", bearer(token))
                        .statusCode())
                .isNotIn(401, 403);

        JsonNode password = tokenPost(
                "grant_type=password&service=" + SERVICE + "&client_id=test&username=bob"
                        + "&password=bob-secret&access_type=offline&scope=" + enc("repository:team/app:pull"),
                null);
        assertThat(password.get("refresh_token").asString()).isNotBlank();
        assertThat(access(password.get("access_token").asString())).hasSize(1);

        HttpResponse<String> forged = tokenPostRaw(
                "grant_type=refresh_token&service=" + SERVICE
                        + "&refresh_token="
                        + forge(
                                issuerKey,
                                claims("alice", SERVICE, Instant.now().plusSeconds(60))
                                        .build(),
                                null),
                null);
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(tokenPostRaw("grant_type=refresh_token&refresh_token=garbage", null)
                        .statusCode())
                .isEqualTo(401);
    }

    @Test
    void anUnknownUserCostsABcryptOfTheUsersCost() throws Exception {
        CHECKED.clear();
        assertThat(tokenGetRaw("mallory", "alice-secret", "scope=repository:team/app:pull")
                        .statusCode())
                .isEqualTo(401);
        assertThat(tokenPostRaw("grant_type=password&username=mallory&password=x&service=" + SERVICE, null)
                        .statusCode())
                .isEqualTo(401);
        assertThat(CHECKED)
                .hasSize(2)
                .allSatisfy(hash -> assertThat(HtpasswdFile.cost(hash)).isEqualTo(SecurityTestSupport.TEST_COST));
    }

    @Test
    void tokenEndpointRejectsBadCredentials() throws Exception {
        for (String[] creds : List.of(new String[] {"alice", "wrong"}, new String[] {"mallory", "alice-secret"})) {
            HttpResponse<String> response = tokenGetRaw(creds[0], creds[1], "scope=repository:team/app:pull");
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"Berth Registry\"");
            assertThat(response.body()).contains("UNAUTHORIZED").doesNotContain("token\"");
        }
        assertThat(tokenPostRaw("grant_type=password&username=alice&password=nope", null)
                        .statusCode())
                .isEqualTo(401);
        assertThat(tokenGetRaw("alice", "alice-secret", "service=another-registry")
                        .statusCode())
                .isEqualTo(400);
    }

    // ---- tokens that must not work

    @Test
    void expiredTokenIsRejected() throws Exception {
        String token = forge(
                issuerKey,
                claims("alice", SERVICE, Instant.now().minus(Duration.ofMinutes(10)))
                        .claim(
                                "access",
                                List.of(Map.of("type", "repository", "name", "team/app", "actions", List.of("pull"))))
                        .build(),
                null);
        assertChallenge(
                send(port, "GET", "/v2/team/app/tags/list", bearer(token)),
                "repository:team/app:pull",
                "invalid_token");
    }

    @Test
    void tokenNotYetValidIsRejected() throws Exception {
        JWTClaimsSet claims = claims("alice", SERVICE, Instant.now().plus(Duration.ofHours(2)))
                .notBeforeTime(Date.from(Instant.now().plus(Duration.ofHours(1))))
                .build();
        assertChallenge(send(port, "GET", "/v2/", bearer(forge(issuerKey, claims, null))), null, "invalid_token");
    }

    @Test
    void tokenForAnotherAudienceOrIssuerIsRejected() throws Exception {
        Instant exp = Instant.now().plusSeconds(300);
        assertChallenge(
                send(
                        port,
                        "GET",
                        "/v2/",
                        bearer(forge(
                                issuerKey,
                                claims("alice", "other-registry", exp).build(),
                                null))),
                null,
                "invalid_token");
        assertChallenge(
                send(
                        port,
                        "GET",
                        "/v2/",
                        bearer(forge(
                                issuerKey,
                                claims("alice", SERVICE, exp)
                                        .issuer("someone-else")
                                        .build(),
                                null))),
                null,
                "invalid_token");
    }

    @Test
    void tokenWithWrongSignatureIsRejected() throws Exception {
        JWTClaimsSet claims = fullAccess("alice");
        KeyPair stranger = Certificates.ecKeyPair();
        assertChallenge(
                send(port, "GET", "/v2/team/app/tags/list", bearer(forge(stranger, claims, null))),
                "repository:team/app:pull",
                "invalid_token");
        // Also when it claims the issuer's key id.
        String kid =
                SigningKey.of(issuerKey.getPrivate(), issuerKey.getPublic()).keyId();
        assertChallenge(send(port, "GET", "/v2/", bearer(forge(stranger, claims, kid))), null, "invalid_token");
        // And when it embeds its own key in the header.
        ECKey embedded = new ECKey.Builder(Curve.P_256, (ECPublicKey) stranger.getPublic()).build();
        SignedJWT withJwk = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.ES256).jwk(embedded).build(), claims);
        withJwk.sign(new ECDSASigner((ECPrivateKey) stranger.getPrivate()));
        assertChallenge(send(port, "GET", "/v2/", bearer(withJwk.serialize())), null, "invalid_token");
    }

    @Test
    void unsignedAndHmacTokensAreRejected() throws Exception {
        String payload = fullAccess("alice").toPayload().toBase64URL().toString();
        String none = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}").toString() + "." + payload + ".";
        assertChallenge(
                send(port, "GET", "/v2/team/app/tags/list", bearer(none)), "repository:team/app:pull", "invalid_token");
        String noneUpper = Base64URL.encode("{\"alg\":\"None\"}").toString() + "." + payload + ".";
        assertChallenge(send(port, "GET", "/v2/", bearer(noneUpper)), null, "invalid_token");
        // HS256 "signed" with the public key's bytes: the classic key-confusion attack.
        SignedJWT hmac = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), fullAccess("alice"));
        hmac.sign(new com.nimbusds.jose.crypto.MACSigner(
                java.util.Arrays.copyOf(issuerKey.getPublic().getEncoded(), 64)));
        assertChallenge(send(port, "GET", "/v2/", bearer(hmac.serialize())), null, "invalid_token");
        assertChallenge(send(port, "GET", "/v2/", bearer("not-a-jwt")), null, "invalid_token");
    }

    @Test
    void tamperedClaimsAreRejected() throws Exception {
        String token = tokenGet("bob", "bob-secret", "scope=repository:team/app:pull")
                .get("token")
                .asString();
        String[] parts = token.split("\\.");
        String payload = new String(Base64URL.from(parts[1]).decode(), StandardCharsets.UTF_8);
        String widened = payload.replace("[\"pull\"]", "[\"pull\",\"push\"]");
        assertThat(widened).isNotEqualTo(payload);
        String tampered = parts[0] + "." + Base64URL.encode(widened) + "." + parts[2];
        assertChallenge(
                send(port, "PUT", "/v2/team/app/manifests/latest", bearer(tampered)),
                "repository:team/app:pull,push",
                "invalid_token");
        String renamed = parts[0] + "." + Base64URL.encode(payload.replace("\"bob\"", "\"alice\"")) + "." + parts[2];
        assertChallenge(send(port, "GET", "/v2/", bearer(renamed)), null, "invalid_token");
    }

    // ---- other trusted keys

    @Test
    void tokensFromACertifiedRsaKeyAreAccepted() throws Exception {
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.RS256)
                        .type(JOSEObjectType.JWT)
                        .keyID("external-kid-scheme")
                        .build(),
                fullAccess("svc"));
        jwt.sign(new RSASSASigner(certifiedRsaKey.getPrivate()));
        assertThat(send(port, "PUT", "/v2/team/app/manifests/latest", bearer(jwt.serialize()))
                        .statusCode())
                .isNotIn(401, 403);
    }

    @Test
    void tokensFromAJwksKeyAreAccepted() throws Exception {
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("jwks-key-1").build(), fullAccess("ci"));
        jwt.sign(new ECDSASigner(jwksKey));
        assertThat(send(port, "GET", "/v2/team/app/tags/list", bearer(jwt.serialize()))
                        .statusCode())
                .isNotIn(401, 403);
    }

    // ---- real clients

    @Test
    void skopeoAndPodmanLogInThroughTheTokenFlow() throws Exception {
        RealClients.assumeSkopeo();
        String registry = "127.0.0.1:" + port;
        SecurityTestSupport.Run ok = RealClients.login("skopeo", dir, registry, "alice", "alice-secret");
        assertThat(ok.exit()).as(ok.output()).isZero();
        assertThat(RealClients.login("skopeo", dir, registry, "alice", "wrong").exit())
                .isNotZero();
        if (SecurityTestSupport.which("podman") != null) {
            SecurityTestSupport.Run podman = RealClients.login("podman", dir, registry, "bob", "bob-secret");
            assertThat(podman.exit()).as(podman.output()).isZero();
        }
    }

    @Test
    void skopeoPushesAndPullsThroughTheTokenFlow() throws Exception {
        RealClients.assumeSkopeo();
        String token = tokenGet("alice", "alice-secret", "scope=repository:probe/uploads-check:push")
                .get("token")
                .asString();
        RealClients.assertRegistryAcceptsUploads(port, bearer(token));
        RealClients.pushAndPull(dir, "127.0.0.1:" + port, "team/app", "alice:alice-secret");
    }

    // ---- helpers

    void assertChallenge(HttpResponse<String> response, String scope, String error) {
        assertThat(response.statusCode()).isEqualTo(401);
        String expected = "Bearer realm=\"" + realm() + "\",service=\"" + SERVICE + "\""
                + (scope == null ? "" : ",scope=\"" + scope + "\"")
                + (error == null ? "" : ",error=\"" + error + "\"");
        assertThat(response.headers().firstValue("WWW-Authenticate"))
                .as(response.body())
                .hasValue(expected);
        if (!response.request().method().equals("HEAD")) {
            assertThat(response.body()).contains("\"code\":\"UNAUTHORIZED\"");
        }
    }

    static String bearer(String token) {
        return "Bearer " + token;
    }

    JsonNode tokenGet(String user, String password, String query) throws Exception {
        HttpResponse<String> response = tokenGetRaw(user, password, query);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    HttpResponse<String> tokenGetRaw(String user, String password, String query) throws Exception {
        String q = query.contains("service=") ? query : "service=" + SERVICE + (query.isEmpty() ? "" : "&" + query);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(realm() + "?" + q.replace("*", "%2A")))
                .timeout(Duration.ofSeconds(60));
        if (user != null) {
            request.header("Authorization", basic(user, password));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode tokenPost(String form, String authorization) throws Exception {
        HttpResponse<String> response = tokenPostRaw(form, authorization);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    HttpResponse<String> tokenPostRaw(String form, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(realm()))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> access(String token) throws Exception {
        Object claim = SignedJWT.parse(token).getJWTClaimsSet().getClaim("access");
        return claim == null ? List.of() : (List<Map<String, Object>>) claim;
    }

    static JWTClaimsSet.Builder claims(String subject, String audience, Instant expires) {
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .subject(subject)
                .audience(audience)
                .issueTime(Date.from(expires.minus(Duration.ofMinutes(5))))
                .expirationTime(Date.from(expires))
                .jwtID(UUID.randomUUID().toString());
    }

    static JWTClaimsSet fullAccess(String subject) {
        return claims(subject, SERVICE, Instant.now().plusSeconds(300))
                .claim(
                        "access",
                        List.of(Map.of("type", "repository", "name", "team/app", "actions", List.of("pull", "push"))))
                .build();
    }

    static String forge(KeyPair key, JWTClaimsSet claims, String kid) throws Exception {
        JWSSigner signer = new ECDSASigner((ECPrivateKey) key.getPrivate());
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.ES256)
                        .type(JOSEObjectType.JWT)
                        .keyID(kid)
                        .build(),
                claims);
        jwt.sign(signer);
        return jwt.serialize();
    }
}
