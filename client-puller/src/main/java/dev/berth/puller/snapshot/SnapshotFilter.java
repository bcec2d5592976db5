package dev.berth.puller.snapshot;

import dev.berth.puller.store.SnapshotRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * containerd's filter expressions for snapshots, the subset its clients send: {@code field==value},
 * {@code field!=value}, {@code field~=regexp} and a bare {@code field} (present), joined by {@code ,} (all must
 * hold); fields {@code name}, {@code parent}, {@code kind} and {@code labels.<key>} (the key may be quoted, as
 * in {@code labels."containerd.io/snapshot.ref"}). A list of filters matches when any of them does.
 */
final class SnapshotFilter {
    private SnapshotFilter() {}

    static Predicate<SnapshotRecord> anyOf(List<String> filters) throws SnapshotException {
        if (filters.isEmpty()) {
            return r -> true;
        }
        List<Predicate<SnapshotRecord>> alternatives = new ArrayList<>();
        for (String f : filters) {
            alternatives.add(parse(f));
        }
        return r -> alternatives.stream().anyMatch(p -> p.test(r));
    }

    static Predicate<SnapshotRecord> parse(String filter) throws SnapshotException {
        Predicate<SnapshotRecord> all = r -> true;
        for (String clause : split(filter, ',')) {
            all = all.and(clause(clause.trim()));
        }
        return all;
    }

    private static Predicate<SnapshotRecord> clause(String c) throws SnapshotException {
        int at = -1;
        String op = null;
        boolean quoted = false;
        for (int i = 0; i < c.length() - 1 && op == null; i++) {
            char ch = c.charAt(i);
            if (ch == '"') {
                quoted = !quoted;
            } else if (!quoted && c.charAt(i + 1) == '=' && (ch == '=' || ch == '!' || ch == '~')) {
                at = i;
                op = c.substring(i, i + 2);
            }
        }
        String field = unquoteField(op == null ? c : c.substring(0, at).trim());
        if (op == null) {
            return r -> value(r, field) != null;
        }
        String value = unquote(c.substring(at + 2).trim());
        return switch (op) {
            case "==" -> r -> value.equals(value(r, field));
            case "!=" -> r -> !value.equals(value(r, field));
            default -> {
                Pattern p = Pattern.compile(value);
                yield r -> value(r, field) != null && p.matcher(value(r, field)).find();
            }
        };
    }

    private static String value(SnapshotRecord r, String field) {
        if (field.startsWith("labels.")) {
            return r.labels().get(field.substring("labels.".length()));
        }
        return switch (field) {
            case "name" -> r.key();
            // Always present, empty for none: containerd asks for parent=="" when it looks for a base layer.
            case "parent" -> r.parent() == null ? "" : r.parent();
            case "kind" -> r.kind().name().toLowerCase(Locale.ROOT);
            default -> null;
        };
    }

    /** {@code labels."a.b/c"} becomes {@code labels.a.b/c}. */
    private static String unquoteField(String f) throws SnapshotException {
        int dot = f.indexOf('.');
        String head = dot < 0 ? f : f.substring(0, dot);
        if (!List.of("name", "parent", "kind", "labels").contains(head)) {
            throw new SnapshotException(SnapshotException.Code.INVALID_ARGUMENT, "unknown filter field: " + f);
        }
        return dot < 0 ? f : head + "." + unquote(f.substring(dot + 1));
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("/") && v.endsWith("/"))) {
            return v.substring(1, v.length() - 1).replace("\\\"", "\"");
        }
        return v;
    }

    private static List<String> split(String s, char sep) {
        List<String> out = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"') {
                quoted = !quoted;
            } else if (ch == sep && !quoted) {
                out.add(s.substring(start, i));
                start = i + 1;
            }
        }
        out.add(s.substring(start));
        return out;
    }
}
