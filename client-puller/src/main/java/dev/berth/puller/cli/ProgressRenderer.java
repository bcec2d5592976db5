package dev.berth.puller.cli;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.OciJson;
import dev.berth.puller.pull.PullListener;
import dev.berth.puller.pull.PullResult;
import dev.berth.puller.registry.ResolvedImage;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;

/**
 * Shows a pull: one progress bar per layer, redrawn in place, and a total line with the overall speed and the
 * time left, on a terminal; otherwise one JSON object per line per event (progress throttled), which scripts
 * and log collectors can read.
 */
final class ProgressRenderer implements PullListener {
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final long JSON_PROGRESS_NANOS = 500_000_000L;

    private final PrintWriter out;
    private final boolean json;
    private List<Descriptor> layers = List.of();
    private AtomicLongArray done = new AtomicLongArray(0);
    private String[] state = new String[0];
    private long[] lastJson = new long[0];
    private long lastDraw;
    private int drawnLines;
    private final Consumer<ResolvedImage> onResolved;
    /** When the first layer download started, for the total speed; 0 before. */
    private long started;

    ProgressRenderer(PrintWriter out, boolean json) {
        this(out, json, image -> {});
    }

    /** @param onResolved also told of the resolved image (the pull command warns of a foreign platform there) */
    ProgressRenderer(PrintWriter out, boolean json, Consumer<ResolvedImage> onResolved) {
        this.out = out;
        this.json = json;
        this.onResolved = onResolved;
    }

    @Override
    public synchronized void resolved(ResolvedImage image) {
        onResolved.accept(image);
        layers = image.manifest().layersOrEmpty();
        done = new AtomicLongArray(layers.size());
        state = new String[layers.size()];
        lastJson = new long[layers.size()];
        java.util.Arrays.fill(state, "waiting");
        if (json) {
            emit(
                    "resolved",
                    kv(
                            "reference",
                            image.reference().toString(),
                            "digest",
                            image.manifestDigest().toString(),
                            "platform",
                            image.platform().toString(),
                            "layers",
                            layers.size()));
        } else {
            out.println(image.reference() + ": " + image.manifestDigest() + " (" + image.platform() + ")");
            out.flush();
        }
    }

    @Override
    public void layerPresent(int index, Descriptor layer, Digest chainId) {
        update(index, "already present", "layer-present", layer, kv());
    }

    @Override
    public void layerStarted(int index, Descriptor layer) {
        synchronized (this) {
            if (started == 0) {
                started = System.nanoTime();
            }
        }
        update(index, "downloading", "layer-start", layer, kv("size", layer.size()));
    }

    @Override
    public void layerProgress(int index, long bytes) {
        long total = done.addAndGet(index, bytes);
        if (json) {
            long now = System.nanoTime();
            synchronized (this) {
                if (now - lastJson[index] < JSON_PROGRESS_NANOS) {
                    return;
                }
                lastJson[index] = now;
            }
            emit(
                    "layer-progress",
                    fields(
                            index,
                            layers.get(index),
                            kv("bytes", total, "size", layers.get(index).size())));
        } else {
            redraw(false);
        }
    }

    @Override
    public void layerResuming(int index, long position, int attempt, Exception cause) {
        update(
                index,
                "resuming at " + position,
                "layer-resume",
                layers.get(index),
                kv("position", position, "attempt", attempt, "error", String.valueOf(cause.getMessage())));
    }

    @Override
    public void layerRetrying(int index, int attempt, Exception cause) {
        done.set(index, 0);
        update(
                index,
                "retrying",
                "layer-retry",
                layers.get(index),
                kv("attempt", attempt, "error", String.valueOf(cause.getMessage())));
    }

    @Override
    public void layerDone(int index, Descriptor layer, Digest chainId) {
        update(index, "done", "layer-done", layer, kv("chainId", chainId.toString()));
    }

    @Override
    public void layerFailed(int index, Descriptor layer, Exception cause) {
        update(index, "failed", "layer-failed", layer, kv("error", String.valueOf(cause.getMessage())));
    }

    @Override
    public synchronized void pulled(PullResult r) {
        if (json) {
            emit(
                    "pulled",
                    kv(
                            "reference",
                            r.image().reference(),
                            "digest",
                            r.image().manifestDigest().toString(),
                            "layersFetched",
                            r.layersFetched(),
                            "layersPresent",
                            r.layersPresent(),
                            "bytes",
                            r.bytesFetched(),
                            "millis",
                            r.duration().toMillis()));
        } else {
            redraw(true);
            out.printf(
                    "pulled %s: %d layers fetched, %d present, %.1f MiB in %.1f s%n",
                    r.image().reference(),
                    r.layersFetched(),
                    r.layersPresent(),
                    r.bytesFetched() / 1048576.0,
                    r.duration().toMillis() / 1000.0);
            out.flush();
        }
    }

    private void update(int index, String text, String event, Descriptor layer, Map<String, Object> extra) {
        synchronized (this) {
            if (index < state.length) {
                state[index] = text;
            }
        }
        if (json) {
            emit(event, fields(index, layer, extra));
        } else {
            redraw(true);
        }
    }

    private synchronized void redraw(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        StringBuilder b = new StringBuilder();
        if (drawnLines > 0) {
            b.append("\033[").append(drawnLines).append('A');
        }
        for (int i = 0; i < layers.size(); i++) {
            Descriptor d = layers.get(i);
            long got = done.get(i);
            double frac = d.size() > 0 ? Math.min(1.0, (double) got / d.size()) : 1.0;
            if ("done".equals(state[i]) || "already present".equals(state[i])) {
                frac = 1.0;
            }
            int filled = (int) Math.round(frac * 30);
            b.append("\033[2K")
                    .append(d.digest().hex(), 0, 12)
                    .append(" [")
                    .append("=".repeat(filled))
                    .append(" ".repeat(30 - filled))
                    .append("] ")
                    .append(String.format("%6.1f/%-6.1f MiB ", got / 1048576.0, d.size() / 1048576.0))
                    .append(state[i])
                    .append('\n');
        }
        b.append("\033[2K").append(totalLine(now)).append('\n');
        drawnLines = layers.size() + 1;
        out.print(b);
        out.flush();
    }

    /**
     * "total 12.0/40.0 MiB  8.5 MiB/s  ETA 3s": bytes of the layers being downloaded, the speed since the first
     * one started, and the time left at that speed.
     */
    private String totalLine(long now) {
        long got = 0;
        long size = 0;
        for (int i = 0; i < layers.size(); i++) {
            if ("already present".equals(state[i])) {
                continue;
            }
            got += Math.min(done.get(i), layers.get(i).size());
            size += layers.get(i).size();
        }
        return totalLine(got, size, started == 0 ? 0 : now - started);
    }

    static String totalLine(long got, long size, long elapsedNanos) {
        double seconds = elapsedNanos / 1e9;
        double speed = seconds > 0 ? got / seconds : 0;
        String eta = got >= size
                ? "done"
                : speed <= 0 ? "ETA --" : "ETA " + duration((long) Math.ceil((size - got) / speed));
        return String.format(
                Locale.ROOT,
                "total %.1f/%.1f MiB  %.1f MiB/s  %s",
                got / 1048576.0,
                size / 1048576.0,
                speed / 1048576.0,
                eta);
    }

    private static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m" + String.format(Locale.ROOT, "%02d", seconds % 60) + "s";
        }
        return seconds / 3600 + "h" + String.format(Locale.ROOT, "%02d", seconds % 3600 / 60) + "m";
    }

    private Map<String, Object> fields(int index, Descriptor layer, Map<String, Object> extra) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("layer", index);
        f.put("digest", layer.digest().toString());
        f.putAll(extra);
        return f;
    }

    /** An insertion-ordered map, so JSON fields keep a stable, readable order. */
    private static Map<String, Object> kv(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1]);
        }
        return m;
    }

    private synchronized void emit(String event, Map<String, Object> fields) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", event);
        line.put("time", java.time.Instant.now().toString());
        line.putAll(fields);
        out.println(OciJson.mapper().writeValueAsString(line));
        out.flush();
    }
}
