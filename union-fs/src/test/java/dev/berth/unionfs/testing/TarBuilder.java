package dev.berth.unionfs.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds layer tars in memory with commons-compress, PAX for long names and big numbers. */
public final class TarBuilder {

    public static final Instant T0 = Instant.parse("2021-03-04T05:06:07Z");

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarArchiveOutputStream out;

    public TarBuilder() {
        out = new TarArchiveOutputStream(bytes, "UTF-8");
        out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        out.setAddPaxHeadersForNonAsciiNames(true);
    }

    public TarBuilder dir(String name, int mode) {
        return dir(name, mode, e -> {});
    }

    public TarBuilder dir(String name, int mode, Consumer<TarArchiveEntry> custom) {
        TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/", true);
        e.setMode(040000 | mode);
        e.setModTime(FileTime.from(T0));
        custom.accept(e);
        return put(e, new byte[0]);
    }

    public TarBuilder file(String name, String content) {
        return file(name, 0644, content.getBytes(StandardCharsets.UTF_8), e -> {});
    }

    public TarBuilder file(String name, int mode, byte[] content, Consumer<TarArchiveEntry> custom) {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setMode(0100000 | mode);
        e.setSize(content.length);
        e.setModTime(FileTime.from(T0));
        custom.accept(e);
        return put(e, content);
    }

    public TarBuilder symlink(String name, String target) {
        return symlink(name, target, e -> {});
    }

    public TarBuilder symlink(String name, String target, Consumer<TarArchiveEntry> custom) {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
        e.setLinkName(target);
        e.setMode(0120777);
        e.setModTime(FileTime.from(T0));
        custom.accept(e);
        return put(e, new byte[0]);
    }

    public TarBuilder hardlink(String name, String target) {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
        e.setLinkName(target);
        e.setModTime(FileTime.from(T0));
        return put(e, new byte[0]);
    }

    public TarBuilder node(String name, byte type, int mode, int major, int minor) {
        TarArchiveEntry e = new TarArchiveEntry(name, type, true);
        e.setMode(mode);
        e.setDevMajor(major);
        e.setDevMinor(minor);
        e.setModTime(FileTime.from(T0));
        return put(e, new byte[0]);
    }

    public TarBuilder raw(TarArchiveEntry e, byte[] content) {
        return put(e, content);
    }

    private TarBuilder put(TarArchiveEntry e, byte[] content) {
        try {
            out.putArchiveEntry(e);
            out.write(content);
            out.closeArchiveEntry();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return this;
    }

    public byte[] bytes() {
        try {
            out.finish();
            out.close();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    public InputStream stream() {
        return new ByteArrayInputStream(bytes());
    }
}
