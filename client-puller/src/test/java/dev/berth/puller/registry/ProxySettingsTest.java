package dev.berth.puller.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How HTTP_PROXY, HTTPS_PROXY and NO_PROXY are read and matched. */
class ProxySettingsTest {
    private static String proxyOf(ProxySettings p, String uri) {
        Proxy proxy = p.select(URI.create(uri));
        return proxy.type() == Proxy.Type.DIRECT
                ? "direct"
                : ((InetSocketAddress) proxy.address()).getHostString() + ":"
                        + ((InetSocketAddress) proxy.address()).getPort();
    }

    @Test
    void schemeChoosesTheVariableAndLowerCaseWins() {
        ProxySettings p = ProxySettings.fromEnvironment(
                Map.of("HTTP_PROXY", "http://h:1", "https_proxy", "s:2", "HTTPS_PROXY", "http://ignored:3"));
        assertThat(proxyOf(p, "http://reg.example/v2/")).isEqualTo("h:1");
        assertThat(proxyOf(p, "https://reg.example/v2/")).isEqualTo("s:2");
        assertThat(proxyOf(ProxySettings.fromEnvironment(Map.of()), "https://reg.example/v2/"))
                .isEqualTo("direct");
    }

    @Test
    void noProxyMatchesNamesSuffixesAddressesRangesAndPorts() {
        ProxySettings p = ProxySettings.fromEnvironment(Map.of(
                "HTTPS_PROXY",
                "http://proxy:3128",
                "NO_PROXY",
                "internal.lan, .corp.example,10.0.0.0/8,[::1],registry.io:5000"));
        assertThat(proxyOf(p, "https://internal.lan/v2/")).isEqualTo("direct");
        assertThat(proxyOf(p, "https://a.internal.lan/v2/")).isEqualTo("direct");
        assertThat(proxyOf(p, "https://notinternal.lan/v2/")).isEqualTo("proxy:3128");
        assertThat(proxyOf(p, "https://x.corp.example/v2/")).isEqualTo("direct");
        assertThat(proxyOf(p, "https://corp.example/v2/")).isEqualTo("direct");
        assertThat(proxyOf(p, "https://10.1.2.3:5000/v2/")).isEqualTo("direct");
        assertThat(proxyOf(p, "https://11.1.2.3/v2/")).isEqualTo("proxy:3128");
        assertThat(proxyOf(p, "https://[::1]:5000/v2/")).isEqualTo("direct");
        assertThat(proxyOf(p, "https://registry.io:5000/v2/")).isEqualTo("direct");
        assertThat(proxyOf(p, "https://registry.io/v2/")).isEqualTo("proxy:3128");
        // Loopback is proxied unless listed, as curl does.
        assertThat(proxyOf(p, "https://127.0.0.1:5000/v2/")).isEqualTo("proxy:3128");
        assertThat(proxyOf(
                        ProxySettings.fromEnvironment(Map.of("HTTPS_PROXY", "http://p:1", "no_proxy", "*")),
                        "https://any/v2/"))
                .isEqualTo("direct");
    }

    @Test
    void aMalformedProxyNamesTheVariable() {
        assertThatThrownBy(() -> ProxySettings.fromEnvironment(Map.of("HTTPS_PROXY", "socks5://p:1")))
                .hasMessageContaining("HTTPS_PROXY=socks5://p:1");
    }
}
