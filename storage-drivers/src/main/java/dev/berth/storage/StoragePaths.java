package dev.berth.storage;

import java.util.regex.Pattern;

/** The one place that says what a storage path may look like. */
public final class StoragePaths {
    private static final Pattern VALID = Pattern.compile("^(/[A-Za-z0-9._:@-]+)+$");

    private StoragePaths() {}

    /** Returns {@code path} if it is absolute, clean and uses only safe characters; throws otherwise. */
    public static String check(String path) throws InvalidPathException {
        if (path == null || !(path.equals("/") || VALID.matcher(path).matches())) {
            throw new InvalidPathException(String.valueOf(path));
        }
        for (String segment : path.split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                throw new InvalidPathException(path);
            }
        }
        return path;
    }

    /** Like {@link #check}, for paths that must name an object: the root {@code /} cannot be one. */
    public static String checkObject(String path) throws InvalidPathException {
        if ("/".equals(check(path))) {
            throw new InvalidPathException(path);
        }
        return path;
    }

    /** The parent directory of a checked path; the root's parent is the root. */
    public static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }

    /** Joins a directory and a child name. */
    public static String child(String dir, String name) {
        return dir.equals("/") ? "/" + name : dir + "/" + name;
    }
}
