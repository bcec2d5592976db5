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
        gauge("berth_agent_last_refresh_timestamp_seconds", lastRefreshSeconds::get);
    }

    void inc(String name, String labels, long by) {
        counters.computeIfAbsent(name + (labels == null ? "" : "{" + labels + "}"), k -> new LongAdder()).add(by);
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
        counters.forEach((k, v) -> byName.computeIfAbsent(base(k), x -> new TreeMap<>()).put(k, v.sum()));
        for (var e : byName.entrySet()) {
            header(b, e.getKey(), "counter");
            e.getValue().forEach((k, v) -> b.append(k).append(' ').append(v).append('\n'));
        }
        for (var e : new TreeMap<>(gauges).entrySet()) {
            header(b, e.getKey(), "gauge");
            long v;
            try {
                v = e.getValue().getAsLong();
            } catch (RuntimeException ex) {
                continue;
            }
            b.append(e.getKey()).append(' ').append(v).append('\n');
        }
        return b.toString();
    }

    private void header(StringBuilder b, String name, String type) {
        b.append("# HELP ").append(name).append(' ').append(help.getOrDefault(name, name)).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static String base(String key) {
        int brace = key.indexOf('{');
        return brace < 0 ? key : key.substring(0, brace);
    }
}
