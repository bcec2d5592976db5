package dev.berth.puller.testing;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds one layer tar in memory with exact modes, owners, links and whiteouts. */
public final class LayerBuilder {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes);
    private static final long MTIME = 1_700_000_000_000L;

    public LayerBuilder() {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    }

    public LayerBuilder dir(String name, int mode, int uid, int gid) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR);
        return put(e, mode, uid, gid, null);
    }

    public LayerBuilder dir(String name) throws IOException {
        return dir(name, 0755, 0, 0);
    }

    public LayerBuilder file(String name, String content, int mode, int uid, int gid) throws IOException {
        return file(name, content.getBytes(StandardCharsets.UTF_8), mode, uid, gid);
    }

    public LayerBuilder file(String name, byte[] content, int mode, int uid, int gid) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
        e.setSize(content.length);
        return put(e, mode, uid, gid, content);
    }

    public LayerBuilder file(String name, String content) throws IOException {
        return file(name, content, 0644, 0, 0);
    }

    public LayerBuilder symlink(String name, String target) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
        e.setLinkName(target);
        return put(e, 0777, 0, 0, null);
    }

    public LayerBuilder hardlink(String name, String target) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK);
        e.setLinkName(target);
        return put(e, 0644, 0, 0, null);
    }

    /** A deletion of {@code path} in the layers below. */
    public LayerBuilder whiteout(String path) throws IOException {
        int slash = path.lastIndexOf('/');
        String wh = (slash < 0 ? "" : path.substring(0, slash + 1)) + ".wh." + path.substring(slash + 1);
        return file(wh, new byte[0], 0644, 0, 0);
    }

    /** Hides everything lower layers have in {@code dir}. */
    public LayerBuilder opaque(String dir) throws IOException {
        return file(dir + "/.wh..wh..opq", new byte[0], 0644, 0, 0);
    }

    private LayerBuilder put(TarArchiveEntry e, int mode, int uid, int gid, byte[] content) throws IOException {
        e.setMode(mode);
        e.setUserId(uid);
        e.setGroupId(gid);
        e.setModTime(MTIME);
        tar.putArchiveEntry(e);
        if (content != null) {
            tar.write(content);
        }
        tar.closeArchiveEntry();
        return this;
    }

    /** The uncompressed tar. */
    public byte[] tar() throws IOException {
        tar.finish();
        return bytes.toByteArray();
    }

    public static byte[] gzip(byte[] tar) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out, 64 * 1024)) {
            gz.write(tar);
        }
        return out.toByteArray();
    }

    public static byte[] zstd(byte[] tar) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = new ZstdOutputStream(out)) {
            z.write(tar);
        }
        return out.toByteArray();
    }
}
