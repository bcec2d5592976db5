package dev.berth.registry.support;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogLineTest {

    @Test
    void plainValuesStayAsTheyAre() {
        assertThat(new LogLine()
                        .add("method", "GET")
                        .add("path", "/v2/team/app/blobs/sha256:ab")
                        .add("user", "zoë")
                        .add("skipped", null)
                        .add("emoji", "\uD83D\uDC33")
                        .toString())
                .isEqualTo("method=GET path=/v2/team/app/blobs/sha256:ab user=zoë emoji=\uD83D\uDC33");
    }

    @Test
    void spacesQuotesEqualsBackslashesAndEmptyValuesAreQuoted() {
        assertThat(LogLine.value("containerd/1.7 (linux)")).isEqualTo("\"containerd/1.7 (linux)\"");
        assertThat(LogLine.value("a\"b")).isEqualTo("\"a\\\"b\"");
        assertThat(LogLine.value("user=alice")).isEqualTo("\"user=alice\"");
        assertThat(LogLine.value("a\\b")).isEqualTo("\"a\\\\b\"");
        assertThat(LogLine.value("")).isEqualTo("\"\"");
    }

    @Test
    void controlAndLineBreakingCharactersAreEscaped() {
        assertThat(LogLine.value("\u001b[31mred")).isEqualTo("\"\\x1b[31mred\"");
        assertThat(LogLine.value("a\u0007\u0000\u007fb")).isEqualTo("\"a\\x07\\x00\\x7fb\"");
        assertThat(LogLine.value("a\r\nb\tc")).isEqualTo("\"a\\r\\nb\\tc\"");
        assertThat(LogLine.value("next\u0085line")).isEqualTo("\"next\\x85line\"");
        assertThat(LogLine.value("a\u2028b\u2029c")).isEqualTo("\"a\\u2028b\\u2029c\"");
        // Bidirectional override, zero-width space, no-break space, a lone surrogate, an unassigned code point.
        assertThat(LogLine.value("x\u202Ey\u200Bz\u00A0w\uD800v\u0378"))
                .isEqualTo("\"x\\u202ey\\u200bz\\xa0w\\ud800v\\u0378\"");
    }

    @Test
    void noCodePointThatCouldBreakALineSurvives() {
        StringBuilder all = new StringBuilder();
        for (int cp = 0; cp < 0x3000; cp++) {
            all.appendCodePoint(cp);
        }
        String line = new LogLine().add("k", all.toString()).toString();
        assertThat(line.chars().filter(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029))
                .isEmpty();
        assertThat(line).startsWith("k=\"").endsWith("\"").doesNotContain("\n");
    }
}
