package dev.berth.unionfs.tar;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Tar names are bytes, not text. Inside the applier a name is carried as a "byte string": a Java
 * String holding one char (0..255) per byte, obtained by decoding with ISO-8859-1. Lexical work on
 * '/' and '.' stays correct, and the exact bytes go to the kernel whatever the JVM's locale is.
 */
final class ByteStrings {

    private ByteStrings() {}

    static String of(byte[] bytes, int off, int len) {
        return new String(bytes, off, len, StandardCharsets.ISO_8859_1);
    }

    static String of(byte[] bytes) {
        return of(bytes, 0, bytes.length);
    }

    /** For messages: the bytes read back as UTF-8, as a terminal would show them. */
    static String display(String byteString) {
        return new String(byteString.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    /**
     * Cleans a name as if the layer root were "/": leading slashes, empty and "." components are dropped
     * and ".." removes the previous component but never climbs above the root. Returns the components;
     * an empty list is the root itself.
     */
    static List<String> clean(String name) {
        List<String> out = new ArrayList<>();
        int n = name.length();
        int i = 0;
        while (i < n) {
            int j = name.indexOf('/', i);
            if (j < 0) {
                j = n;
            }
            if (j > i) {
                String c = name.substring(i, j);
                if (c.equals("..")) {
                    if (!out.isEmpty()) {
                        out.remove(out.size() - 1);
                    }
                } else if (!c.equals(".")) {
                    out.add(c);
                }
            }
            i = j + 1;
        }
        return out;
    }

    static String join(List<String> components, int from, int to) {
        if (to - from == 1) {
            return components.get(from);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            if (i > from) {
                sb.append('/');
            }
            sb.append(components.get(i));
        }
        return sb.toString();
    }

    /** Names, link targets and xattr names go to the kernel as C strings: a NUL would cut them short. */
    static void requireNoNul(String s, String what) throws LayerFormatException {
        if (s.indexOf('\0') >= 0) {
            throw new LayerFormatException(what + " contains a NUL byte: " + display(s));
        }
    }
}
