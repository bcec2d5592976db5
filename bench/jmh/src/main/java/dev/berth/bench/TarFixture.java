package dev.berth.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Generated layer tars, the same shape as bench/run.py's small-files image. */
final class TarFixture {
  private TarFixture() {}

  /** {@code dirs} directories of {@code files} files of 200..4000 random bytes each, root:root 0644. */
  static byte[] smallFiles(int dirs, int files, long seed) throws IOException {
    Random rnd = new Random(seed);
    ByteArrayOutputStream bos = new ByteArrayOutputStream(dirs * files * 2600);
    FileTime t0 = FileTime.from(Instant.parse("2024-01-01T00:00:00Z"));
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bos)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (int d = 0; d < dirs; d++) {
        String dir = String.format("usr/share/d%03d/", d);
        TarArchiveEntry de = new TarArchiveEntry(dir);
        de.setMode(040755);
        de.setModTime(t0);
        tar.putArchiveEntry(de);
        tar.closeArchiveEntry();
        for (int f = 0; f < files; f++) {
          byte[] b = new byte[200 + rnd.nextInt(3801)];
          rnd.nextBytes(b);
          TarArchiveEntry e = new TarArchiveEntry(String.format("%sf%03d.txt", dir, f));
          e.setSize(b.length);
          e.setMode(0100644);
          e.setModTime(t0);
          tar.putArchiveEntry(e);
          tar.write(b);
          tar.closeArchiveEntry();
        }
      }
    }
    return bos.toByteArray();
  }
}
