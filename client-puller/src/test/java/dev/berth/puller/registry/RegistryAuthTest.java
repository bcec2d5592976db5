package dev.berth.puller.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.berth.oci.ErrorCode;
import dev.berth.oci.ImageReference;
import dev.berth.puller.pull.LayerUnpacker;
import dev.berth.puller.pull.PullListener;
import dev.berth.puller.pull.PullOptions;
import dev.berth.puller.pull.Puller;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.store.Store;
import dev.berth.puller.testing.TestImages;
import dev.berth.puller.testing.TestProxy;
import dev.berth.puller.testing.TestRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Basic auth against docker-registry's htpasswd mode, and Docker's token flow against a small token realm
 * with the test proxy enforcing Bearer tokens in front of the registry.
 */
class RegistryAuthTest {
    private static Path work;
    private static TestRegistry basicRegistry;
    private static TestRegistry openRegistry;
    private static TestProxy bearerProxy;
    private static HttpServer realm;
    private static final Set<String> validTokens = ConcurrentHashMap.newKeySet();
    private static final List<String> tokenQueries = new CopyOnWriteArrayList<>();
    private static final AtomicInteger issued = new AtomicInteger();

    @BeforeAll
    static void start() throws IOException {
        work = Files.createTempDirectory("berth-auth-test");
        TestImages images = TestImages.build(work.resolve("layout"));
        basicRegistry = TestRegistry.start(work.resolve("basic"), "alice", "s3cret");
        basicRegistry.push(images.layout.dir(), "base", "secure/img:base");
        openRegistry = TestRegistry.start(work.resolve("open"));
        openRegistry.push(images.layout.dir(), "base", "tok/img:base");

        realm = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        realm.createContext("/token", ex -> {
            tokenQueries.add(ex.getRequestURI().getRawQuery());
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            String expected = "Basic " + Base64.getEncoder().encodeToString("bob:pw".getBytes(StandardCharsets.UTF_8));
            byte[] body;
            int status;
            if (expected.equals(auth)) {
                String token = "tok-" + issued.incrementAndGet();
                validTokens.add(token);
                // access_token is the OAuth2 name; clients must accept it as well as "token".
                body = ("{\"access_token\":\"" + token + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8);
                status = 200;
            } else {
                body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}".getBytes();
                status = 401;
            }
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        realm.start();
        bearerProxy = new TestProxy(openRegistry.host());
        String challenge = "Bearer realm=\"http://127.0.0.1:"
                + realm.getAddress().getPort() + "/token\",service=\"berth-test\",scope=\"repository:tok/img:pull\"";
        bearerProxy.addRule(req -> {
            String auth = req.header("authorization");
            if (auth != null && auth.startsWith("Bearer ") && validTokens.contains(auth.substring(7))) {
                return null;
            }
            return new TestProxy.Action.Respond(
                    401,
                    Map.of("WWW-Authenticate", challenge, "Content-Type", "application/json"),
                    "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}".getBytes());
        });
    }

    @AfterAll
    static void stop() throws IOException {
        if (bearerProxy != null) {
            bearerProxy.close();
        }
        if (realm != null) {
            realm.stop(0);
        }
        for (TestRegistry r : new TestRegistry[] {basicRegistry, openRegistry}) {
            if (r != null) {
                r.close();
            }
        }
        FsUtil.deleteTree(work);
    }

    private static Puller puller(Path root, CredentialStore creds) throws IOException {
        return new Puller(
                Store.open(root),
                new Registries(TransportOptions.defaults().withPlainHttp(true), creds),
                LayerUnpacker.unionFs(),
                PullOptions.defaults().withPlatform(TestImages.AMD64).withBackoff(Backoff.fast(2)));
    }

    private static Path dockerConfig(String host, String json) throws IOException {
        Path dir = Files.createTempDirectory(work, "docker");
        Files.writeString(dir.resolve("config.json"), json.replace("HOST", host));
        return dir.resolve("config.json");
    }

    @Test
    void basicAuthWithDockerConfigCredentials() throws IOException {
        String auth = Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));
        Path cfg = dockerConfig(basicRegistry.host(), "{\"auths\":{\"http://HOST/v1/\":{\"auth\":\"" + auth + "\"}}}");
        CredentialStore creds = DockerConfigCredentials.load(cfg);
        assertThat(creds.find(basicRegistry.host()))
                .hasValueSatisfying(c -> assertThat(c.username()).isEqualTo("alice"));

        var result = puller(Files.createTempDirectory(work, "root"), creds)
                .pull(ImageReference.parse(basicRegistry.host() + "/secure/img:base"), PullListener.NONE);
        assertThat(result.layersFetched()).isEqualTo(1);
    }

    @Test
    void anonymousPullFromBasicRegistryIsUnauthorized() {
        assertThatThrownBy(() -> puller(Files.createTempDirectory(work, "root"), CredentialStore.anonymous())
                        .pull(ImageReference.parse(basicRegistry.host() + "/secure/img:base"), PullListener.NONE))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED);
                });
    }

    @Test
    void bearerTokenFlowAndRefreshAfterExpiry() throws IOException {
        CredentialStore creds = host -> java.util.Optional.of(Credential.basic("bob", "pw"));
        Path root = Files.createTempDirectory(work, "root");
        Puller p = puller(root, creds);
        ImageReference ref = ImageReference.parse(bearerProxy.host() + "/tok/img:base");

        p.pull(ref, PullListener.NONE);
        assertThat(tokenQueries).isNotEmpty();
        assertThat(tokenQueries.get(0)).contains("service=berth-test").contains("scope=repository%3Atok%2Fimg%3Apull");
        int tokensAfterFirst = issued.get();

        // Every token expires: the cached one now earns a 401 and the client fetches a fresh one, once.
        validTokens.clear();
        Store.open(root).images().remove(ref.toString());
        p.pull(ref, PullListener.NONE);
        assertThat(issued.get()).isEqualTo(tokensAfterFirst + 1);
    }

    @Test
    void wrongCredentialsAtTheRealmFail() {
        CredentialStore creds = host -> java.util.Optional.of(Credential.basic("bob", "wrong"));
        assertThatThrownBy(() -> puller(Files.createTempDirectory(work, "root"), creds)
                        .pull(ImageReference.parse(bearerProxy.host() + "/tok/img:base"), PullListener.NONE))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("fetch token")
                .hasMessageContaining("bad credentials");
    }

    @Test
    void dockerConfigIdentityTokenAndDockerHubAlias() throws IOException {
        Path cfg = dockerConfig(
                "x",
                "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\""
                        + Base64.getEncoder().encodeToString("u:p".getBytes()) + "\"},"
                        + "\"registry.example.com\":{\"identitytoken\":\"refresh-me\"}}}");
        DockerConfigCredentials creds = DockerConfigCredentials.load(cfg);
        assertThat(creds.find(ImageReference.DOCKER_HUB))
                .hasValueSatisfying(c -> assertThat(c.password()).isEqualTo("p"));
        assertThat(creds.find("registry.example.com"))
                .hasValueSatisfying(c -> assertThat(c.hasIdentityToken()).isTrue());
        assertThat(creds.find("other.example.com")).isEmpty();
        assertThat(DockerConfigCredentials.load(work.resolve("missing.json")).find("x"))
                .isEmpty();
    }
}
