package dev.berth.unionfs.mount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the mount table of this process's mount namespace from {@code /proc/self/mountinfo}. */
public final class MountTable {

    /** One line of mountinfo: see proc(5). Paths are unescaped. */
    public record Entry(
            int id,
            int parentId,
            String root,
            Path mountPoint,
            String mountOptions,
            String fsType,
            String source,
            String superOptions) {}

    private MountTable() {}

    public static List<Entry> read() throws IOException {
        return parse(Files.readAllLines(Path.of("/proc/self/mountinfo")));
    }

    /** Whether {@code path}, with symlinks resolved, is a mount point. */
    public static boolean isMountPoint(Path path) throws IOException {
        Path real;
        try {
            real = path.toRealPath();
        } catch (NoSuchFileException e) {
            return false;
        }
        for (Entry e : read()) {
            if (e.mountPoint().equals(real)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Parses mountinfo lines: {@code id parent major:minor root mountpoint options [optional...] -
     * fstype source superoptions}.
     */
    public static List<Entry> parse(List<String> lines) {
        List<Entry> out = new ArrayList<>(lines.size());
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(" ");
            int dash = 6;
            while (dash < f.length && !f[dash].equals("-")) {
                dash++;
            }
            if (f.length < 8 || dash + 1 >= f.length) {
                throw new IllegalArgumentException("bad mountinfo line: " + line);
            }
            out.add(new Entry(
                    Integer.parseInt(f[0]),
                    Integer.parseInt(f[1]),
                    unescape(f[3]),
                    Path.of(unescape(f[4])),
                    f[5],
                    f[dash + 1],
                    dash + 2 < f.length ? unescape(f[dash + 2]) : "",
                    dash + 3 < f.length ? f[dash + 3] : ""));
        }
        return out;
    }

    /** The kernel writes space, tab, newline and backslash as \ooo octal escapes. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}
