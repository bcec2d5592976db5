package dev.berth.registry.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

class UpstreamsTest {
    private static ProxyProperties.Upstream upstream(String name, String prefix, boolean isDefault) {
        ProxyProperties.Upstream u = new ProxyProperties.Upstream();
        u.setName(name);
        u.setPrefix(prefix);
        u.setDefault(isDefault);
        u.setUrl(URI.create("https://" + name));
        return u;
    }

    @Test
    void validConfigurationsRouteEachConvention() {
        List<ProxyProperties.Upstream> config =
                List.of(upstream("docker.io", null, true), upstream("ghcr.io", "ghcr", false));
        Upstreams.validate(config);
        Upstreams upstreams = new Upstreams(config.stream()
                .map(u -> new UpstreamClient(u, Clock.systemUTC()))
                .toList());

        Upstreams.ProxyTarget prefixed = upstreams.byPrefix("ghcr/owner/app").orElseThrow();
        assertThat(prefixed.upstream().name()).isEqualTo("ghcr.io");
        assertThat(prefixed.remoteName()).isEqualTo("owner/app");
        assertThat(prefixed.localName()).isEqualTo("ghcr/owner/app");

        assertThat(upstreams.byNamespace("docker.io").orElseThrow().prefix()).isEqualTo("docker.io");
        assertThat(upstreams.byNamespace("quay.io")).isEmpty();
        assertThat(upstreams.fallback().orElseThrow().name()).isEqualTo("docker.io");
        assertThat(upstreams.byPrefix("ghcrx/app")).isEmpty();
        assertThat(upstreams.isProxied("ghcr")).isTrue();
        assertThat(upstreams.isProxied("team/app")).isFalse();
    }

    @Test
    void invalidConfigurationsAreRefusedNamingTheProperty() {
        assertThatThrownBy(
                        () -> Upstreams.validate(List.of(upstream("a.io", null, true), upstream("b.io", null, true))))
                .hasMessageContaining("at most one");
        assertThatThrownBy(() -> Upstreams.validate(
                        List.of(upstream("a.io", "mirror", false), upstream("b.io", "mirror/b", false))))
                .hasMessageContaining("berth.proxy.upstreams[1].prefix 'mirror/b' overlaps prefix 'mirror'");
        assertThatThrownBy(() -> Upstreams.validate(List.of(upstream("localhost:5000", null, false))))
                .hasMessageContaining("not a valid repository name (it defaults to the name; set a prefix)");
        assertThatThrownBy(() -> Upstreams.validate(List.of(upstream("a.io", "UPPER", false))))
                .hasMessageContaining("berth.proxy.upstreams[0].prefix");
        ProxyProperties.Upstream noUrl = upstream("a.io", null, false);
        noUrl.setUrl(URI.create("ftp://a.io"));
        assertThatThrownBy(() -> Upstreams.validate(List.of(noUrl))).hasMessageContaining(".url");
        assertThatThrownBy(
                        () -> Upstreams.validate(List.of(upstream("a.io", "x", false), upstream("a.io", "y", false))))
                .hasMessageContaining("used twice");
    }
}
