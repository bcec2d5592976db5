package dev.berth.registry.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.it.OciContent;
import dev.berth.registry.it.RegistryHttp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.security.crypto.bcrypt.BCrypt;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The web UI with {@code berth.auth.mode=token} and Berth's own token endpoint, in real headless Chromium: the login
 * form gets tokens from the endpoint, lists show only what the token's subject may pull, and a delete goes through
 * the API with a token scoped for it. {@code carol} may do everything on {@code team/**}, {@code dave} may pull it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebUiTokenModeTest {
    static final Path ROOT = tempDir();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws IOException {
        Path htpasswd = ROOT.resolve("htpasswd");
        Files.writeString(
                htpasswd,
                "carol:" + BCrypt.hashpw("carol-pw", BCrypt.gensalt(5)) + "\n" + "dave:"
                        + BCrypt.hashpw("dave-pw", BCrypt.gensalt(5)) + "\n");
        registry.add("berth.storage.filesystem.root", () -> ROOT.resolve("data").toString());
        registry.add("berth.auth.mode", () -> "token");
        registry.add("berth.auth.htpasswd.path", htpasswd::toString);
        registry.add("berth.auth.token.issuer-endpoint.enabled", () -> "true");
        registry.add("berth.auth.rules[0].users", () -> "carol");
        registry.add("berth.auth.rules[0].repository", () -> "team/**");
        registry.add("berth.auth.rules[0].actions", () -> "*");
        registry.add("berth.auth.rules[1].users", () -> "dave");
        registry.add("berth.auth.rules[1].repository", () -> "team/**");
        registry.add("berth.auth.rules[1].actions", () -> "pull");
    }

    @LocalServerPort
    int port;

    HeadlessChromium browser;

    @BeforeAll
    void seed() {
        URI base = URI.create("http://127.0.0.1:" + port);
        RegistryHttp.Response token = new RegistryHttp(() -> base, WebUiTest.basic("carol", "carol-pw"))
                .get("/auth/token?service=berth-registry&scope=repository:team/app:pull,push,delete")
                .send();
        assertThat(token.status()).as("%s", token).isEqualTo(200);
        UiTestImages images = new UiTestImages(new RegistryHttp(
                () -> base, "Bearer " + token.json().get("token").asString()));
        for (String tag : List.of("stable", "old")) {
            OciContent.Image image = images.image("team/app", "amd64", UiTestImages.Runtime.plain(tag), Map.of());
            images.putManifest("team/app", tag, image.manifest());
        }
        browser = new HeadlessChromium(base.toString());
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void logInThroughTheTokenEndpointBrowseAndDelete() {
        browser.open("repositories");
        assertThat(browser.all(By.cssSelector("#repositories .repo-link"))).isEmpty();

        browser.logIn("dave", "wrong");
        browser.waitForText(By.id("login-error"), "Wrong user name or password");
        browser.find(By.id("login-password")).sendKeys("dave-pw");
        browser.click(By.id("login-submit"));
        browser.waitForText(By.id("who-name"), "Signed in as dave");
        browser.open("repository?name=team%2Fapp");
        assertThat(browser.find(By.id("tags")).getText()).contains("old", "stable", "linux/amd64");
        assertThat(browser.all(By.cssSelector(".delete-tag"))).isEmpty();

        browser.logOut();
        browser.signIn("carol", "carol-pw");
        browser.open("manifest?name=team%2Fapp&ref=old");
        browser.click(By.id("delete-tag"));
        browser.click(By.id("confirm-delete"));
        browser.waitUntil(d -> d.getCurrentUrl().endsWith("#/repository?name=team%2Fapp"));
        browser.settle();
        assertThat(browser.find(By.id("tags")).getText()).contains("stable").doesNotContain("old");
        assertThat(browser.driver().manage().getCookies()).isEmpty();
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("berth-ui-token");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
