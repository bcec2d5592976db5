package dev.berth.puller.agent;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/** The agent's counters and gauges, exposed in Prometheus' text format (version 0.0.4). */
final class AgentMetrics {
    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
    private final Map<String, LongSupplier> gauges = new ConcurrentHashMap<>();
    private final Map<String, String> help = new ConcurrentHashMap<>();
    private final AtomicLong lastRefreshSeconds = new AtomicLong();

    AgentMetrics() {
        help.put("berth_agent_pulls_total", "Image pulls by result (success or failure).");
        help.put("berth_agent_layers_fetched_total", "Layers downloaded and applied.");
        help.put("berth_agent_bytes_fetched_total", "Compressed layer bytes downloaded.");
        help.put("berth_agent_layers_evicted_total", "Layers evicted to stay within the disk budget.");
        help.put("berth_agent_events_total", "Registry notification events received, by outcome.");
        help.put("berth_agent_store_bytes", "Bytes of committed layers in the store.");
        help.put("berth_agent_images_configured", "Images the agent keeps pulled.");
        help.put("berth_agent_last_refresh_timestamp_seconds", "When the last refresh round finished.");
        help.put("berth_agent_image_present", "1 when the configured image is in the store with all its layers.");
        help.put(
                "berth_agent_image_last_pull_timestamp_seconds",
                "When the configured image was last pulled successfully (0: not since the agent started).");
        help.put("berth_agent_image_pull_failures_total", "Failed pulls of the configured image.");
        gauge("berth_agent_last_refresh_timestamp_seconds", lastRefreshSeconds::get);
    }

    void inc(String name, String labels, long by) {
        counters.computeIfAbsent(name + (labels == null ? "" : "{" + labels + "}"), k -> new LongAdder())
                .add(by);
    }

    void gauge(String name, LongSupplier value) {
        gauges.put(name, value);
    }

    void refreshed() {
        lastRefreshSeconds.set(System.currentTimeMillis() / 1000);
    }

    long counter(String nameWithLabels) {
        LongAdder a = counters.get(nameWithLabels);
        return a == null ? 0 : a.sum();
    }

    String render() {
        StringBuilder b = new StringBuilder();
        Map<String, Map<String, Long>> byName = new TreeMap<>();
        counters.forEach(
                (k, v) -> byName.computeIfAbsent(base(k), x -> new TreeMap<>()).put(k, v.sum()));
        for (var e : byName.entrySet()) {
            header(b, e.getKey(), "counter");
            e.getValue().forEach((k, v) -> b.append(k).append(' ').append(v).append('\n'));
        }
        Map<String, Map<String, LongSupplier>> gaugesByName = new TreeMap<>();
        gauges.forEach((k, v) ->
                gaugesByName.computeIfAbsent(base(k), x -> new TreeMap<>()).put(k, v));
        for (var e : gaugesByName.entrySet()) {
            header(b, e.getKey(), "gauge");
            e.getValue().forEach((k, v) -> {
                long value;
                try {
                    value = v.getAsLong();
                } catch (RuntimeException unreadable) {
                    return; // a gauge that cannot be read now (the store is busy or gone) sits this scrape out
                }
                b.append(k).append(' ').append(value).append('\n');
            });
        }
        return b.toString();
    }

    private void header(StringBuilder b, String name, String type) {
        b.append("# HELP ")
                .append(name)
                .append(' ')
                .append(help.getOrDefault(name, name))
                .append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    /** A label pair with its value escaped as the text format requires. */
    static String label(String name, String value) {
        return name + "=\"" + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    private static String base(String key) {
        int brace = key.indexOf('{');
        return brace < 0 ? key : key.substring(0, brace);
    }
}
