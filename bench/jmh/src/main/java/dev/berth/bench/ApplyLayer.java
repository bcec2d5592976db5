package dev.berth.bench;

import dev.berth.unionfs.tar.ApplyOptions;
import dev.berth.unionfs.tar.LayerApplier;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The in-process side of bench/puller.py's comparison with {@code tar -xzf}: gunzips and applies layer
 * blobs into one directory with {@link LayerApplier}, as the puller does, and prints the time of the
 * applies alone as JSON. {@code --warm BLOB} first applies another blob into a sibling directory so that
 * the JIT is warm, as it is in the node agent.
 *
 * <p>{@code --repeat N} applies the blobs N times, into {@code DEST}, {@code DEST-2}, ... (for profiling:
 * the reported time is the last repetition's). {@code --parallelism N} sets {@code ApplyOptions.parallelism}
 * (1: the sequential apply; default: the applier's default).
 *
 * <pre>java -cp benchmarks.jar dev.berth.bench.ApplyLayer [--warm BLOB] [--repeat N] [--parallelism N] DEST BLOB...</pre>
 */
public final class ApplyLayer {
  private ApplyLayer() {}

  public static void main(String[] args) throws IOException {
    List<String> a = new ArrayList<>(List.of(args));
    Path warm = null;
    if (!a.isEmpty() && a.get(0).equals("--warm")) {
      warm = Path.of(a.get(1));
      a = a.subList(2, a.size());
    }
    int repeat = 1;
    if (!a.isEmpty() && a.get(0).equals("--repeat")) {
      repeat = Integer.parseInt(a.get(1));
      a = a.subList(2, a.size());
    }
    ApplyOptions options = ApplyOptions.forCurrentUser();
    if (!a.isEmpty() && a.get(0).equals("--parallelism")) {
      options = options.withParallelism(Integer.parseInt(a.get(1)));
      a = a.subList(2, a.size());
    }
    if (a.size() < 2) {
      System.err.println("usage: ApplyLayer [--warm BLOB] [--repeat N] [--parallelism N] DEST BLOB...");
      System.exit(2);
    }
    Path dest = Path.of(a.get(0));
    LayerApplier applier = new LayerApplier(options);
    if (warm != null) {
      Path w = Files.createDirectories(dest.resolveSibling(dest.getFileName() + "-warm"));
      apply(applier, warm, w);
    }
    double s = 0;
    long entries = 0;
    for (int r = 1; r <= repeat; r++) {
      Path d = r == 1 ? dest : dest.resolveSibling(dest.getFileName() + "-" + r);
      Files.createDirectories(d);
      long t0 = System.nanoTime();
      entries = 0;
      for (String blob : a.subList(1, a.size())) {
        entries += apply(applier, Path.of(blob), d);
      }
      s = (System.nanoTime() - t0) / 1e9;
    }
    System.out.printf("{\"applySeconds\": %.4f, \"entries\": %d}%n", s, entries);
  }

  private static long apply(LayerApplier applier, Path blob, Path dest) throws IOException {
    try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(blob), 1 << 16),
        256 * 1024)) {
      return applier.apply(in, dest).entries();
    }
  }
}
