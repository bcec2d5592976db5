package dev.berth.unionfs.testing;

import dev.berth.unionfs.sys.LibC;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Test-side views of a directory tree: attributes, xattrs, and snapshots for "nothing changed". */
public final class Fs {

    private Fs() {}

    public static Map<String, Object> attrs(Path p) throws IOException {
        return Files.readAttributes(
                p, "unix:mode,uid,gid,rdev,size,lastModifiedTime,nlink,ino", LinkOption.NOFOLLOW_LINKS);
    }

    public static int mode(Path p) throws IOException {
        return (Integer) attrs(p).get("mode");
    }

    public static byte[] xattr(Path p, String name) {
        byte[] path = LibC.cString(p.toString());
        byte[] key = LibC.cString(name);
        byte[] buf = new byte[4096];
        try {
            long n = LibC.lgetxattr(path, key, buf, buf.length);
            byte[] out = new byte[(int) n];
            System.arraycopy(buf, 0, out, 0, (int) n);
            return out;
        } catch (com.sun.jna.LastErrorException e) {
            return null;
        }
    }

    public static void setXattr(Path p, String name, byte[] value) {
        LibC.lsetxattr(LibC.cString(p.toString()), LibC.cString(name), value, value.length, 0);
    }

    public static String sha256(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            int r;
            while ((r = in.read(buf)) > 0) {
                md.update(buf, 0, r);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Everything about a tree that a stray write could change: type, mode, owner, size, mtime, content
     * hash, symlink target. Keys are paths relative to {@code dir}; {@code skip} is left out.
     */
    public static Map<String, String> snapshot(Path dir, Path skip) {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(p -> skip == null || !p.startsWith(skip)).forEach(p -> {
                try {
                    Map<String, Object> a = attrs(p);
                    String extra = "";
                    if (Files.isSymbolicLink(p)) {
                        extra = "->" + Files.readSymbolicLink(p);
                    } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        extra = sha256(p);
                    }
                    out.put(
                            dir.relativize(p).toString(),
                            a.get("mode") + " " + a.get("uid") + ":" + a.get("gid") + " " + a.get("size") + " "
                                    + a.get("lastModifiedTime") + " " + a.get("nlink") + " " + extra);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Removes a tree that may contain read-only directories or device nodes. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
