package dev.berth.puller.cli;

import dev.berth.oci.ImageReference;
import dev.berth.puller.store.ImageRecord;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code images} listing as {@code docker images} shows it: REPOSITORY, TAG, IMAGE ID, PLATFORM, CREATED,
 * SIZE, every column as wide as its widest cell (so a long reference or a digest never shifts the others).
 */
final class ImageTable {
    private ImageTable() {}

    /** One image as a row: the JSON of {@code images --json}, and the source of the table's cells. */
    static Map<String, Object> row(ImageRecord r, long size) {
        String repository = r.reference();
        String tag = "<none>";
        try {
            ImageReference ref = ImageReference.parse(r.reference());
            repository = ref.registry() + "/" + ref.repository();
            tag = ref.tag() == null ? "<none>" : ref.tag();
        } catch (IllegalArgumentException unparsable) {
            // an odd record: show it whole
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("reference", r.reference());
        row.put("repository", repository);
        row.put("tag", tag);
        row.put("id", r.configDigest().toString());
        row.put("digest", r.manifestDigest().toString());
        row.put("platform", r.platform());
        row.put("created", created(r));
        row.put("pulled", Instant.ofEpochMilli(r.pulledAt()).toString());
        row.put("layers", r.layers().size());
        row.put("size", size);
        return row;
    }

    static String render(List<Map<String, Object>> rows) {
        List<List<String>> table = new ArrayList<>();
        table.add(List.of("REPOSITORY", "TAG", "IMAGE ID", "PLATFORM", "CREATED", "SIZE"));
        Instant now = Instant.now();
        for (Map<String, Object> row : rows) {
            String id = ((String) row.get("id"));
            id = id.substring(id.indexOf(':') + 1, Math.min(id.length(), id.indexOf(':') + 13));
            String created = (String) row.get("created");
            table.add(List.of(
                    (String) row.get("repository"),
                    (String) row.get("tag"),
                    id,
                    (String) row.get("platform"),
                    created == null ? "N/A" : ago(Instant.parse(created), now),
                    humanSize((Long) row.get("size"))));
        }
        return align(table);
    }

    /** Left-aligned columns, three spaces apart, each as wide as its widest cell. */
    static String align(List<List<String>> table) {
        int columns = table.get(0).size();
        int[] width = new int[columns];
        for (List<String> line : table) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], line.get(i).length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (List<String> line : table) {
            StringBuilder l = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                l.append(line.get(i));
                if (i < columns - 1) {
                    l.append(" ".repeat(width[i] - line.get(i).length() + 3));
                }
            }
            b.append(l.toString().stripTrailing()).append('\n');
        }
        return b.toString();
    }

    private static String created(ImageRecord r) {
        var created = r.config() == null ? null : r.config().get("created");
        if (created == null || !created.isString()) {
            return null;
        }
        try {
            return Instant.parse(created.asString()).toString();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** As docker says it: "5 seconds ago", "3 days ago", "2 years ago". */
    static String ago(Instant then, Instant now) {
        Duration d = Duration.between(then, now);
        if (d.isNegative()) {
            return "in the future";
        }
        long s = d.getSeconds();
        String[] units = {"second", "minute", "hour", "day", "week", "month", "year"};
        long[] sizes = {1, 60, 3600, 86400, 7 * 86400L, 30 * 86400L, 365 * 86400L};
        int u = 0;
        for (int i = sizes.length - 1; i >= 0; i--) {
            if (s >= sizes[i] * (i == 0 ? 1 : 2) || i == 0) {
                u = i;
                break;
            }
        }
        long n = s / sizes[u];
        return n + " " + units[u] + (n == 1 ? "" : "s") + " ago";
    }

    /** Decimal units, as docker prints sizes: 1.24MB, 512kB, 7.3GB. */
    static String humanSize(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        double v = bytes;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return u == 0
                ? bytes + "B"
                : (v >= 100
                                ? String.format(java.util.Locale.ROOT, "%.0f", v)
                                : v >= 10
                                        ? String.format(java.util.Locale.ROOT, "%.1f", v)
                                        : String.format(java.util.Locale.ROOT, "%.2f", v))
                        + units[u];
    }
}
