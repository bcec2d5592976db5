package dev.berth.registry.ui;

import dev.berth.registry.maintenance.ReadOnlyMode;
import dev.berth.registry.manifest.Catalog;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.security.AuthProperties;
import dev.berth.registry.security.UiAccess;
import dev.berth.registry.storage.BlobStore;
import dev.berth.registry.storage.Blocking;
import dev.berth.storage.StorageDriver;
import java.net.URI;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The web UI at {@code /ui/} ({@code berth.ui.enabled}, default true): static ES modules from
 * {@code classpath:/ui/} (no build step), the JSON endpoints of {@link UiHandler} under {@code /ui/api/}, and
 * {@link UiSecurityHeaders}. The UI calls the registry API and {@code /admin/} directly for everything else.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnProperty(prefix = "berth.ui", name = "enabled", havingValue = "true", matchIfMissing = true)
public class UiConfiguration {
    private static final ClassPathResource ASSETS = new ClassPathResource("ui/");

    @Bean
    RepositoryBrowser repositoryBrowser(StorageDriver driver, BlobStore blobs, ManifestService manifests) {
        return new RepositoryBrowser(driver, blobs, manifests);
    }

    @Bean
    VisibleRepositories visibleRepositories(Catalog catalog, UiAccess access) {
        return new VisibleRepositories(catalog, access);
    }

    @Bean
    UiSecurityHeaders uiSecurityHeaders() {
        return new UiSecurityHeaders();
    }

    @Bean
    RouterFunction<ServerResponse> uiRoutes(
            UiAccess access,
            AuthProperties auth,
            VisibleRepositories visible,
            RepositoryBrowser browser,
            Blocking blocking,
            ReadOnlyMode readOnly) {
        UiHandler api = new UiHandler(access, auth, visible, browser, blocking, readOnly);
        ClassPathResource index = new ClassPathResource("ui/index.html");
        return RouterFunctions.route()
                .GET("/ui/api/session", api::session)
                .GET("/ui/api/repositories", api::repositories)
                .GET("/ui/api/tags", api::tags)
                .GET("/ui/api/manifest", api::manifest)
                .GET(
                        "/ui",
                        request -> ServerResponse.permanentRedirect(URI.create("/ui/"))
                                .build())
                .GET(
                        "/ui/",
                        request -> ServerResponse.ok()
                                .contentType(MediaType.TEXT_HTML)
                                .bodyValue(index))
                .add(RouterFunctions.resources("/ui/**", ASSETS))
                .build();
    }
}
