package dev.berth.registry.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.testing.Resp;
import dev.berth.registry.tls.Certificates;
import dev.berth.registry.tls.PemFiles;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.security.crypto.bcrypt.BCrypt;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Access rules see a cached repository under the one name it is stored under, whichever convention the client
 * used: anonymous pulls are allowed on {@code open/**} only, so the same upstream content is readable through
 * {@code open.test} (prefix and {@code ns=} forms) and refused through {@code closed.test}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ProxyAccessTest {
    @TempDir
    static Path dir;

    static LyingUpstream upstream;
    static CncfRegistry tls;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        upstream = new LyingUpstream();
        KeyPair keys = Certificates.ecKeyPair();
        PemFiles.write(
                dir.resolve("tls.crt"),
                Certificates.issue(
                        "127.0.0.1",
                        keys,
                        Certificates.Usage.SERVER,
                        List.of("127.0.0.1"),
                        Duration.ofDays(1),
                        null,
                        null));
        PemFiles.write(dir.resolve("tls.key"), keys.getPrivate());
        tls = CncfRegistry.startTls(dir.resolve("tls"), dir.resolve("tls.crt"), dir.resolve("tls.key"));
        registry.add("berth.auth.rules[1].repository", () -> "*tls/**");
        registry.add("berth.auth.rules[1].actions", () -> "pull");
        registry.add("berth.auth.rules[1].anonymous", () -> "true");
        String[][] tlsUpstreams = {
            {"catls", "ca-file", dir.resolve("tls.crt").toString()},
            {"anytls", "insecure", "true"},
            {"jvmtls", null, null}
        };
        for (int i = 0; i < tlsUpstreams.length; i++) {
            String[] u = tlsUpstreams[i];
            String key = "berth.proxy.upstreams[" + (i + 2) + "].";
            registry.add(key + "name", () -> u[0] + ".test");
            registry.add(key + "prefix", () -> u[0]);
            registry.add(key + "url", tls::url);
            if (u[1] != null) {
                registry.add(key + u[1], () -> u[2]);
            }
        }
        Path htpasswd = dir.resolve("htpasswd");
        Files.writeString(htpasswd, "alice:" + BCrypt.hashpw("alice-secret", BCrypt.gensalt(5)) + "\n");
        registry.add("berth.storage.filesystem.root", () -> dir.resolve("data").toString());
        registry.add("berth.auth.mode", () -> "htpasswd");
        registry.add("berth.auth.htpasswd.path", htpasswd::toString);
        registry.add("berth.auth.rules[0].repository", () -> "open/**");
        registry.add("berth.auth.rules[0].actions", () -> "pull");
        registry.add("berth.auth.rules[0].anonymous", () -> "true");
        registry.add("berth.proxy.enabled", () -> "true");
        registry.add("berth.proxy.upstreams[0].name", () -> "open.test");
        registry.add("berth.proxy.upstreams[0].prefix", () -> "open");
        registry.add("berth.proxy.upstreams[0].url", upstream::url);
        registry.add("berth.proxy.upstreams[1].name", () -> "closed.test");
        registry.add("berth.proxy.upstreams[1].prefix", () -> "closed");
        registry.add("berth.proxy.upstreams[1].url", upstream::url);
        registry.add("berth.proxy.upstreams[1].default", () -> "true");
    }

    @AfterAll
    static void stop() throws Exception {
        upstream.close();
        tls.close();
    }

    @Test
    void tlsUpstreamsAreTrustedThroughTheirCaFileOrWhenInsecure() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry(
                "upstream", PemFiles.readCertificates(dir.resolve("tls.crt")).get(0));
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, factory.getTrustManagers(), null);
        HttpClient client = HttpClient.newBuilder()
                .sslContext(ssl)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        String digest = new Images(tls.url(), null, client).pushImage("team/app", "v1", Images.layer(30, 1024));

        for (String prefix : List.of("catls", "anytls")) {
            Resp r = get("/v2/" + prefix + "/team/app/manifests/v1");
            assertThat(r.status()).as("%s: %s", prefix, r).isEqualTo(200);
            assertThat(r.header("Docker-Content-Digest")).isEqualTo(digest);
        }
        // Without its CA the upstream's certificate is not trusted.
        Resp untrusted = get("/v2/jvmtls/team/app/manifests/v1");
        assertThat(untrusted.status()).as("%s", untrusted).isEqualTo(503);
        assertThat(untrusted.text()).contains("jvmtls.test");
    }

    Resp get(String path) {
        return new Images("http://127.0.0.1:" + port, null).send("GET", path, HttpRequest.BodyPublishers.noBody());
    }

    @Test
    void rulesApplyToTheCachedNameWhicheverConventionTheClientUses() {
        assertThat(get("/v2/open/lies/app/manifests/v1").status()).isEqualTo(200);
        assertThat(get("/v2/lies/app/manifests/v1?ns=open.test").status()).isEqualTo(200);

        Resp viaNamespace = get("/v2/lies/app/manifests/v1?ns=closed.test");
        assertThat(viaNamespace.status()).isEqualTo(401);
        assertThat(viaNamespace.text()).contains("closed/lies/app");
        // Unprefixed: the default upstream, whose prefix the rules do not open.
        assertThat(get("/v2/lies/app/manifests/v1").status()).isEqualTo(401);
        assertThat(get("/v2/closed/lies/app/manifests/v1").status()).isEqualTo(401);
    }
}
