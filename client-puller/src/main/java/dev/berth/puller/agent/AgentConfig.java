package dev.berth.puller.agent;

import dev.berth.oci.ImageReference;
import dev.berth.puller.snapshot.SnapshotterServer;
import dev.berth.puller.store.StoreLayout;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The node agent's configuration, read from YAML. Every key is documented in the README; a key not listed
 * here is an error naming the file, the key and the closest valid one (a misspelt key would otherwise keep its
 * default without a word):
 *
 * <pre>
 * root: /var/lib/berth          # the store
 * images:                       # kept pulled; never evicted
 *   - registry.example.com/team/app:prod
 * refreshInterval: 5m           # re-resolve tags this often (s, m, h; or plain seconds)
 * concurrency: 2                # images pulled at once
 * parallel: 6                   # layers per image pulled at once
 * diskBudget: 20GiB             # evict least-recently-used unlisted layers beyond this (0 = no limit)
 * listen: 127.0.0.1:9095        # /healthz, /metrics and POST /events
 * platform: linux/amd64         # default: this host
 * plainHttp: false
 * insecure: false
 * caFile: /etc/ssl/registry-ca.pem
 * snapshotter:                  # also serve containerd's snapshots API (proxy plugin) on this store
 *   address: /run/berth/snapshotter.sock
 *   pullMissing: false          # pull layers CRI asks for and the store lacks (instead of containerd)
 * </pre>
 *
 * @param root            store root
 * @param images          references to keep pulled
 * @param refreshInterval how often every image is re-resolved and pulled when changed
 * @param concurrency     images pulled at once
 * @param parallel        layers of one image pulled at once
 * @param diskBudget      bytes the layer store may use, 0 for no limit
 * @param listenHost      address of the HTTP endpoint
 * @param listenPort      its port (0 picks a free one)
 * @param platform        platform to pull, or null for the host's
 * @param plainHttp       registries speak HTTP
 * @param insecure        skip TLS verification
 * @param caFile          extra CA certificates, or null
 * @param snapshotter     unix socket of the in-process containerd snapshotter, or null for none
 * @param pullMissing     the snapshotter pulls layers CRI asks for that the store lacks
 */
public record AgentConfig(
        Path root,
        List<ImageReference> images,
        Duration refreshInterval,
        int concurrency,
        int parallel,
        long diskBudget,
        String listenHost,
        int listenPort,
        String platform,
        boolean plainHttp,
        boolean insecure,
        Path caFile,
        Path snapshotter,
        boolean pullMissing) {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]i?b?|b)?");
    /** Every top-level key, in the order the README documents them. */
    static final List<String> KEYS = List.of(
            "root",
            "images",
            "refreshInterval",
            "concurrency",
            "parallel",
            "diskBudget",
            "listen",
            "platform",
            "plainHttp",
            "insecure",
            "caFile",
            "snapshotter");

    static final List<String> SNAPSHOTTER_KEYS = List.of("address", "enabled", "pullMissing");

    public AgentConfig {
        images = List.copyOf(images);
        if (concurrency < 1 || parallel < 1) {
            throw new IllegalArgumentException("concurrency and parallel must be at least 1");
        }
    }

    public static AgentConfig load(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file)) {
            Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
            if (!(doc instanceof Map<?, ?> map)) {
                throw new IOException(file + ": expected a YAML mapping");
            }
            return fromMap(map);
        } catch (RuntimeException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    static AgentConfig fromMap(Map<?, ?> m) {
        checkKeys(m, KEYS, "");
        Object imgs = m.get("images");
        if (!(imgs instanceof List<?> list) || list.isEmpty()) {
            throw new IllegalArgumentException("images: a non-empty list of references is required");
        }
        List<ImageReference> refs =
                list.stream().map(o -> ImageReference.parse(String.valueOf(o))).toList();
        String listen = str(m, "listen", "127.0.0.1:9095");
        int colon = listen.lastIndexOf(':');
        return new AgentConfig(
                Path.of(str(m, "root", StoreLayout.DEFAULT_ROOT)),
                refs,
                duration(str(m, "refreshInterval", "5m")),
                Integer.parseInt(str(m, "concurrency", "2")),
                Integer.parseInt(str(m, "parallel", "6")),
                size(str(m, "diskBudget", "0")),
                colon < 0 ? "127.0.0.1" : listen.substring(0, colon),
                Integer.parseInt(colon < 0 ? listen : listen.substring(colon + 1)),
                m.get("platform") == null ? null : String.valueOf(m.get("platform")),
                Boolean.parseBoolean(str(m, "plainHttp", "false")),
                Boolean.parseBoolean(str(m, "insecure", "false")),
                m.get("caFile") == null ? null : Path.of(String.valueOf(m.get("caFile"))),
                snapshotter(m),
                m.get("snapshotter") instanceof Map<?, ?> s && Boolean.parseBoolean(str(s, "pullMissing", "false")));
    }

    /** The {@code snapshotter:} section: present (and not {@code enabled: false}) means serve it. */
    private static Path snapshotter(Map<?, ?> m) {
        Object section = m.get("snapshotter");
        if (section == null) {
            return null;
        }
        if (!(section instanceof Map<?, ?> s)) {
            throw new IllegalArgumentException("snapshotter: expected a mapping (address, enabled)");
        }
        checkKeys(s, SNAPSHOTTER_KEYS, "snapshotter.");
        if (!Boolean.parseBoolean(str(s, "enabled", "true"))) {
            return null;
        }
        return Path.of(str(s, "address", SnapshotterServer.DEFAULT_ADDRESS));
    }

    /** A key the agent does not know is a mistake (a typo would otherwise silently keep the default). */
    private static void checkKeys(Map<?, ?> m, List<String> known, String prefix) {
        for (Object key : m.keySet()) {
            String k = String.valueOf(key);
            if (!known.contains(k)) {
                String closest = closest(k, known);
                throw new IllegalArgumentException("unknown key '" + prefix + k + "'"
                        + (closest == null ? "" : " (did you mean '" + prefix + closest + "'?)")
                        + "; valid keys"
                        + (prefix.isEmpty() ? "" : " under " + prefix.substring(0, prefix.length() - 1))
                        + ": " + String.join(", ", known));
            }
        }
    }

    /** The known key nearest to {@code key} by edit distance (case-insensitive), if it is near enough. */
    static String closest(String key, List<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int d = editDistance(key.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(2, key.length() / 3) ? best : null;
    }

    private static int editDistance(String a, String b) {
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int above = row[j];
                row[j] = Math.min(
                        Math.min(row[j] + 1, row[j - 1] + 1), diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.length()];
    }

    private static String str(Map<?, ?> m, String key, String def) {
        Object v = m.get(key);
        return v == null ? def : String.valueOf(v).trim();
    }

    static Duration duration(String s) {
        Matcher x = DURATION.matcher(s.toLowerCase(Locale.ROOT));
        if (!x.matches()) {
            throw new IllegalArgumentException("bad duration: " + s);
        }
        long n = Long.parseLong(x.group(1));
        String unit = x.group(2) == null ? "s" : x.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }

    static long size(String s) {
        Matcher x = SIZE.matcher(s.toLowerCase(Locale.ROOT).replace(" ", ""));
        if (!x.matches()) {
            throw new IllegalArgumentException("bad size: " + s);
        }
        long n = Long.parseLong(x.group(1));
        String unit = x.group(2) == null ? "b" : x.group(2).substring(0, 1);
        boolean binary = x.group(2) != null && x.group(2).contains("i");
        long k = binary ? 1024 : 1000;
        return switch (unit) {
            case "k" -> n * k;
            case "m" -> n * k * k;
            case "g" -> n * k * k * k;
            case "t" -> n * k * k * k * k;
            default -> n;
        };
    }
}
