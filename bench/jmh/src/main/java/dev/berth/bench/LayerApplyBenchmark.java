package dev.berth.bench;

import dev.berth.unionfs.tar.ApplyOptions;
import dev.berth.unionfs.tar.ApplyResult;
import dev.berth.unionfs.tar.LayerApplier;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link LayerApplier} on a generated, uncompressed 20,000-file layer (200 directories), from memory, so
 * the score is the applier's own work: tar parsing and the system calls per file. Each invocation
 * applies into a fresh directory under {@code dir}; nothing is deleted while measuring (creating files
 * right after a mass delete is many times slower on this disk), so make sure {@code dir} has room for
 * (warmup + measurement) x 55 MB per parameter combination and delete it afterwards. As root, ownership is
 * preserved (the production setting); otherwise the unprivileged options apply.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 8)
@Fork(1)
public class LayerApplyBenchmark {
  @Param({"/var/tmp/berth-jmh"})
  String dir;

  @Param({"true", "false"})
  boolean readAhead;

  /** 1: the sequential apply; N: the reading thread and N - 1 writer threads create files (-p for more). */
  @Param({"1", "2"})
  int parallelism;

  byte[] tar;
  Path base;
  LayerApplier applier;
  Path target;
  int counter;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    tar = TarFixture.smallFiles(200, 100, 7);
    base = Files.createDirectories(Path.of(dir)).resolve("run-" + ProcessHandle.current().pid() + "-"
        + System.nanoTime());
    Files.createDirectories(base);
    applier = new LayerApplier(ApplyOptions.forCurrentUser().withReadAhead(readAhead).withParallelism(parallelism));
  }

  @Setup(Level.Invocation)
  public void freshDir() throws IOException {
    target = Files.createDirectory(base.resolve("l" + counter++));
  }

  @Benchmark
  public ApplyResult apply20kFiles() throws IOException {
    return applier.apply(new ByteArrayInputStream(tar), target);
  }
}
