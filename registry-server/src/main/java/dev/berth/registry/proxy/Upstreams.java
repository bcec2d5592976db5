package dev.berth.registry.proxy;

import dev.berth.oci.Names;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The routing table of the pull-through cache: which upstream, if any, a repository name belongs to, under each
 * client convention. Built from {@code berth.proxy.upstreams} and validated once: names unique, prefixes valid
 * repository names that do not overlap (no prefix equals another or contains it as a leading path), at most one
 * default.
 */
public final class Upstreams {
    private final List<UpstreamClient> all;
    private final UpstreamClient fallback;

    public Upstreams(List<UpstreamClient> upstreams) {
        this.all = List.copyOf(upstreams);
        this.fallback =
                all.stream().filter(UpstreamClient::isDefault).findFirst().orElse(null);
    }

    /** Checks the configuration; throws {@link IllegalStateException} naming the offending property. */
    public static void validate(List<ProxyProperties.Upstream> upstreams) {
        Set<String> names = new HashSet<>();
        List<String> prefixes = new ArrayList<>();
        int defaults = 0;
        for (int i = 0; i < upstreams.size(); i++) {
            ProxyProperties.Upstream u = upstreams.get(i);
            String key = "berth.proxy.upstreams[" + i + "]";
            if (u.getName() == null || u.getName().isBlank()) {
                throw new IllegalStateException(key + ".name is required");
            }
            if (!names.add(u.getName())) {
                throw new IllegalStateException(key + ".name '" + u.getName() + "' is used twice");
            }
            if (u.getUrl() == null
                    || u.getUrl().getHost() == null
                    || !List.of("http", "https").contains(u.getUrl().getScheme())) {
                throw new IllegalStateException(key + ".url must be an http or https URL, got " + u.getUrl());
            }
            String prefix = prefixOf(u);
            if (!Names.isRepository(prefix)) {
                throw new IllegalStateException(key + ".prefix '" + prefix + "' is not a valid repository name"
                        + (u.getPrefix() == null ? " (it defaults to the name; set a prefix)" : ""));
            }
            for (String other : prefixes) {
                if (overlap(prefix, other)) {
                    throw new IllegalStateException(key + ".prefix '" + prefix + "' overlaps prefix '" + other + "'");
                }
            }
            prefixes.add(prefix);
            if (u.isDefault()) {
                defaults++;
            }
            if (u.getTagTtl() == null || u.getTagTtl().isNegative()) {
                throw new IllegalStateException(key + ".tag-ttl must be zero or positive");
            }
        }
        if (defaults > 1) {
            throw new IllegalStateException("at most one of berth.proxy.upstreams[*].default may be true");
        }
    }

    static String prefixOf(ProxyProperties.Upstream u) {
        return u.getPrefix() == null || u.getPrefix().isBlank() ? u.getName() : u.getPrefix();
    }

    private static boolean overlap(String a, String b) {
        return a.equals(b) || a.startsWith(b + "/") || b.startsWith(a + "/");
    }

    public List<UpstreamClient> all() {
        return all;
    }

    /** The upstream that containerd's {@code ?ns=<host>} names. */
    public Optional<UpstreamClient> byNamespace(String ns) {
        return all.stream().filter(u -> u.name().equals(ns)).findFirst();
    }

    /** The default upstream, which serves names no upstream and no local repository claims. */
    public Optional<UpstreamClient> fallback() {
        return Optional.ofNullable(fallback);
    }

    /** The explicit form, {@code <prefix>/<upstream name>}. */
    public Optional<ProxyTarget> byPrefix(String localName) {
        for (UpstreamClient u : all) {
            if (localName.startsWith(u.prefix() + "/")) {
                return Optional.of(
                        new ProxyTarget(u, localName.substring(u.prefix().length() + 1), localName));
            }
        }
        return Optional.empty();
    }

    /** True when the name lies under a proxied prefix (or is a prefix): such names are never local. */
    public boolean isProxied(String localName) {
        return all.stream().anyMatch(u -> localName.equals(u.prefix()) || localName.startsWith(u.prefix() + "/"));
    }

    /**
     * One proxied repository.
     *
     * @param upstream   where it comes from
     * @param remoteName its name on the upstream
     * @param localName  the local repository that caches it, {@code <prefix>/<remoteName>}
     */
    public record ProxyTarget(UpstreamClient upstream, String remoteName, String localName) {}
}
