package dev.berth.registry.support;

import java.util.regex.Pattern;

/**
 * Repository name globs, one syntax for access rules and notification filters: {@code **} matches anything,
 * {@code *} anything but '/', {@code ?} one character other than '/'; everything else is literal.
 */
public final class RepositoryGlob {
    private RepositoryGlob() {}

    public static Pattern compile(String glob) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                regex.append(".*");
                i++;
            } else if (c == '*') {
                regex.append("[^/]*");
            } else if (c == '?') {
                regex.append("[^/]");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString());
    }
}
