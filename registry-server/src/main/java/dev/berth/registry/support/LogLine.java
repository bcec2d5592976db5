package dev.berth.registry.support;

/**
 * One line of {@code key=value} pairs: the format of the access log and the audit log, whose values come from
 * requests (paths, user agents, token scopes, mount sources). A value is quoted when it is empty or holds a space,
 * a quote, '=' or a backslash; inside quotes, quote and backslash are escaped with a backslash. Characters that
 * could forge a second line or hide or garble text on a terminal are written as escapes ({@code \t \n \r},
 * otherwise {@code \xHH} or {@code \\uHHHH}): C0 and C1 controls, DEL, line and paragraph separators, format
 * characters (such as bidirectional overrides), spaces other than ' ', unassigned code points and lone
 * surrogates. A logged value therefore never contains a raw control byte, and never breaks its line.
 */
public final class LogLine {
    private final StringBuilder line = new StringBuilder(256);

    /** Appends {@code key=value}; a null value is left out. Keys are the caller's constants, written as they are. */
    public LogLine add(String key, String value) {
        if (value == null) {
            return this;
        }
        if (!line.isEmpty()) {
            line.append(' ');
        }
        line.append(key).append('=');
        appendValue(line, value);
        return this;
    }

    @Override
    public String toString() {
        return line.toString();
    }

    /** The value as it appears after {@code key=}: quoted and escaped when needed. */
    public static String value(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2);
        appendValue(out, value);
        return out.toString();
    }

    private static void appendValue(StringBuilder out, String value) {
        if (!needsQuotes(value)) {
            out.append(value);
            return;
        }
        out.append('"');
        for (int i = 0; i < value.length(); ) {
            int cp = value.codePointAt(i);
            i += Character.charCount(cp);
            switch (cp) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> {
                    if (!mustEscape(cp)) {
                        out.appendCodePoint(cp);
                    } else if (cp <= 0xff) {
                        out.append(String.format("\\x%02x", cp));
                    } else {
                        out.append(String.format("\\u%04x", cp));
                    }
                }
            }
        }
        out.append('"');
    }

    private static boolean needsQuotes(String value) {
        if (value.isEmpty()) {
            return true;
        }
        return value.codePoints().anyMatch(cp -> cp == ' ' || cp == '"' || cp == '=' || cp == '\\' || mustEscape(cp));
    }

    /** Whether a code point may not appear raw in a log line. */
    static boolean mustEscape(int cp) {
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
            return true; // C0 controls, DEL, C1 controls (NEL among them)
        }
        return switch (Character.getType(cp)) {
            case Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR,
                    Character.FORMAT,
                    Character.CONTROL,
                    Character.SURROGATE,
                    Character.UNASSIGNED,
                    Character.PRIVATE_USE -> true;
            case Character.SPACE_SEPARATOR -> cp != ' ';
            default -> false;
        };
    }
}
