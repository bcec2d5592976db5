package dev.berth.puller.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every entry of a tree as lstat sees it: type, full mode (setuid/sticky included), owner, size of regular
 * files, content hash, symlink target. Two snapshots are equal when the trees are equivalent for a container.
 */
public final class TreeSnapshot {
    private TreeSnapshot() {}

    /** One entry; directory sizes are left out because they depend on the filesystem, not the image. */
    public record Entry(String type, String mode, int uid, int gid, long size, String sha256, String link) {
        @Override
        public String toString() {
            return type + " " + mode + " " + uid + ":" + gid + " " + size
                    + (sha256 != null ? " " + sha256.substring(0, 12) : "") + (link != null ? " -> " + link : "");
        }
    }

    public static Map<String, Entry> of(Path root) throws IOException {
        Map<String, Entry> out = new TreeMap<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                add(dir);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                add(file);
                return FileVisitResult.CONTINUE;
            }

            private void add(Path p) throws IOException {
                Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
                int mode = (Integer) a.get("mode");
                int fmt = mode & 0170000;
                String type = switch (fmt) {
                    case 0040000 -> "dir";
                    case 0100000 -> "file";
                    case 0120000 -> "symlink";
                    case 0020000 -> "chardev";
                    case 0060000 -> "blockdev";
                    case 0010000 -> "fifo";
                    default -> "other";
                };
                String rel = root.relativize(p).toString();
                long size = fmt == 0040000 ? 0 : (Long) a.get("size");
                String hash = fmt == 0100000 ? sha256(p) : null;
                String link = fmt == 0120000 ? Files.readSymbolicLink(p).toString() : null;
                out.put(
                        "/" + rel,
                        new Entry(
                                type,
                                String.format("%04o", mode & 07777),
                                (Integer) a.get("uid"),
                                (Integer) a.get("gid"),
                                size,
                                hash,
                                link));
            }
        });
        return out;
    }

    private static String sha256(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
