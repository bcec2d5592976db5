package dev.berth.unionfs.tar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.unionfs.testing.TarBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;

/** Skipping the rest of an entry ourselves must leave commons-compress reading exactly what it would. */
class LayerTarInputStreamTest {

    @Test
    void readsTheSameEntriesAsCommonsCompress() throws IOException {
        Random rnd = new Random(3);
        TarBuilder b = new TarBuilder().dir("./", 0755).dir("d", 0755);
        for (int size : new int[] {0, 1, 511, 512, 513, 1023, 1024, 1025, 10_000}) {
            byte[] content = new byte[size];
            rnd.nextBytes(content);
            b.file("d/f" + size, 0644, content, e -> {});
        }
        b.file("long/" + "x".repeat(200) + "/name", "pax path")
                .file("d/xattr", 0600, new byte[700], e -> e.addPaxHeader("SCHILY.xattr.user.k", "v"))
                .symlink("d/link", "f1")
                .hardlink("d/hard", "d/f1")
                .symlink("d/" + "l".repeat(150), "t".repeat(150))
                .node("d/fifo", TarConstants.LF_FIFO, 0600, 0, 0)
                .file("d/.wh.gone", "");
        byte[] tar = b.bytes();

        // Read everything, and read only parts of the content (the rest is skipped by getNextEntry).
        for (int readAtMost : new int[] {Integer.MAX_VALUE, 0, 1, 300}) {
            assertThat(entries(new LayerTarInputStream(new ByteArrayInputStream(tar), "ISO-8859-1"), readAtMost))
                    .as("reading at most %d bytes per entry", readAtMost)
                    .isEqualTo(entries(
                            new TarArchiveInputStream(new ByteArrayInputStream(tar), "ISO-8859-1"), readAtMost));
        }
    }

    private static List<String> entries(TarArchiveInputStream in, int readAtMost) throws IOException {
        List<String> out = new ArrayList<>();
        TarArchiveEntry e;
        while ((e = in.getNextEntry()) != null) {
            byte[] data = readAtMost == Integer.MAX_VALUE ? in.readAllBytes() : readUpTo(in, readAtMost);
            out.add(e.getName() + " " + (char) e.getLinkFlag() + " " + e.getSize() + " " + e.getLinkName() + " "
                    + e.getExtraPaxHeaders() + " " + HexFormat.of().formatHex(data));
        }
        return out;
    }

    private static byte[] readUpTo(InputStream in, int n) throws IOException {
        return in.readNBytes(n);
    }
}
