package dev.berth.puller.registry;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The proxies the environment names, read the way curl and Go's net/http read them: {@code HTTPS_PROXY} for
 * https URLs, {@code HTTP_PROXY} for http ones (lower-case names too, lower-case first), and {@code NO_PROXY}, a
 * comma-separated list of host names, domain suffixes ({@code .example.com} or {@code example.com} match
 * {@code a.example.com}), IP addresses, CIDR ranges, optional {@code :port}, or {@code *} for no proxy at all.
 * Unlike Go, loopback addresses go through the proxy too unless NO_PROXY names them (as curl does).
 * HTTPS goes through the proxy as a CONNECT tunnel, so TLS stays end to end. Proxy credentials are not supported.
 *
 * @param http    proxy for http URLs, or null
 * @param https   proxy for https URLs, or null
 * @param noProxy the NO_PROXY entries, lower-cased
 */
public record ProxySettings(URI http, URI https, List<String> noProxy) {
    public static final ProxySettings NONE = new ProxySettings(null, null, List.of());

    public ProxySettings {
        noProxy = List.copyOf(noProxy);
    }

    /** From environment variables; a malformed proxy URL is an error naming the variable. */
    public static ProxySettings fromEnvironment(Map<String, String> env) {
        List<String> no = new ArrayList<>();
        String list = first(env, "no_proxy", "NO_PROXY");
        if (list != null) {
            for (String e : list.split(",")) {
                if (!e.isBlank()) {
                    no.add(e.trim().toLowerCase(Locale.ROOT));
                }
            }
        }
        return new ProxySettings(
                proxyUri(env, "http_proxy", "HTTP_PROXY"), proxyUri(env, "https_proxy", "HTTPS_PROXY"), no);
    }

    /** The proxy to use for {@code uri}: {@link Proxy#NO_PROXY} when none applies. */
    public Proxy select(URI uri) {
        URI proxy = "https".equalsIgnoreCase(uri.getScheme()) ? https : http;
        if (proxy == null || bypassed(uri)) {
            return Proxy.NO_PROXY;
        }
        int port = proxy.getPort() >= 0 ? proxy.getPort() : "https".equalsIgnoreCase(proxy.getScheme()) ? 443 : 80;
        return new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(proxy.getHost(), port));
    }

    /** For error messages: the proxy URL {@code uri} goes through, or null. */
    public URI proxyFor(URI uri) {
        URI proxy = "https".equalsIgnoreCase(uri.getScheme()) ? https : http;
        return proxy == null || bypassed(uri) ? null : proxy;
    }

    private boolean bypassed(URI uri) {
        String host = stripBrackets(uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT));
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        for (String entry : noProxy) {
            if (entry.equals("*")) {
                return true;
            }
            String name = entry;
            int entryPort = -1;
            int colon = entry.lastIndexOf(':');
            // host:port, but not a bare IPv6 address
            if (colon > 0 && entry.indexOf(':') == colon && !entry.contains("/")) {
                try {
                    entryPort = Integer.parseInt(entry.substring(colon + 1));
                    name = entry.substring(0, colon);
                } catch (NumberFormatException notAPort) {
                    // keep the whole entry as a name
                }
            }
            name = stripBrackets(name);
            if (entryPort >= 0 && entryPort != port) {
                continue;
            }
            if (name.contains("/") ? Cidr.contains(name, host) : matchesName(name, host)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matchesName(String entry, String host) {
        String suffix = entry.startsWith("*.") ? entry.substring(1) : entry;
        if (suffix.startsWith(".")) {
            return host.endsWith(suffix) || host.equals(suffix.substring(1));
        }
        return host.equals(suffix) || host.endsWith("." + suffix);
    }

    private static String stripBrackets(String h) {
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    private static String first(Map<String, String> env, String... names) {
        for (String n : names) {
            String v = env.get(n);
            if (v != null && !v.isBlank()) {
                return v.trim();
            }
        }
        return null;
    }

    private static URI proxyUri(Map<String, String> env, String lower, String upper) {
        String v = first(env, lower, upper);
        if (v == null) {
            return null;
        }
        String name = env.get(lower) != null && !env.get(lower).isBlank() ? lower : upper;
        URI u;
        try {
            u = URI.create(v.contains("://") ? v : "http://" + v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + "=" + v + " is not a proxy URL (http://host:port)", e);
        }
        if (u.getHost() == null || !("http".equalsIgnoreCase(u.getScheme()))) {
            throw new IllegalArgumentException(name + "=" + v + " is not a proxy URL: give http://host:port "
                    + "(HTTPS to the registry still goes end to end, tunnelled through CONNECT)");
        }
        return u;
    }

    /** IPv4 and IPv6 CIDR ranges of NO_PROXY. */
    private static final class Cidr {
        static boolean contains(String cidr, String host) {
            try {
                int slash = cidr.indexOf('/');
                byte[] net =
                        java.net.InetAddress.getByName(cidr.substring(0, slash)).getAddress();
                int bits = Integer.parseInt(cidr.substring(slash + 1));
                if (!isLiteral(host)) {
                    return false;
                }
                byte[] addr = java.net.InetAddress.getByName(host).getAddress();
                if (addr.length != net.length) {
                    return false;
                }
                for (int i = 0; i < bits; i++) {
                    int mask = 0x80 >> (i % 8);
                    if ((addr[i / 8] & mask) != (net[i / 8] & mask)) {
                        return false;
                    }
                }
                return true;
            } catch (java.io.IOException | RuntimeException e) {
                return false;
            }
        }

        /** Only literals: a NO_PROXY range must never cause a DNS lookup. */
        private static boolean isLiteral(String host) {
            return host.contains(":") || host.matches("[0-9.]+");
        }
    }
}
