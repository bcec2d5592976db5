package dev.berth.bench;

import dev.berth.oci.Digest;
import dev.berth.oci.io.VerifyingInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The puller's per-byte work on a layer body: the digest-verifying stream (SHA-256 and the size cap), and
 * the same under a gunzip, as the pull pipeline stacks them. Throughput is 16 MiB per operation: divide
 * 16 by the score in seconds for MiB/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class VerifyingStreamBenchmark {
  private static final int SIZE = 16 << 20;

  /** Bytes asked for per read, as the decompressor above asks. */
  @Param({"8192", "65536", "262144"})
  int readSize;

  byte[] body;
  Digest digest;
  byte[] gzipped;
  Digest gzippedDigest;
  byte[] buf;

  @Setup
  public void setUp() throws IOException {
    body = new byte[SIZE];
    new Random(1).nextBytes(body);
    digest = Digest.sha256(body);
    // Half random, half text-like: roughly what a layer of binaries compresses to.
    byte[] mixed = body.clone();
    for (int i = SIZE / 2; i < SIZE; i++) {
      mixed[i] = (byte) ('a' + (mixed[i] & 15));
    }
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bos, 1 << 16)) {
      gz.write(mixed);
    }
    gzipped = bos.toByteArray();
    gzippedDigest = Digest.sha256(gzipped);
    buf = new byte[readSize];
  }

  @Benchmark
  public boolean verify() throws IOException {
    VerifyingInputStream in = new VerifyingInputStream(new ByteArrayInputStream(body), digest, SIZE);
    drain(in);
    return in.verified();
  }

  /** The lower bound: SHA-256 alone over the same bytes. */
  @Benchmark
  public byte[] sha256Only() {
    var md = dev.berth.oci.DigestAlgorithm.SHA256.newMessageDigest();
    for (int off = 0; off < SIZE; off += readSize) {
      md.update(body, off, Math.min(readSize, SIZE - off));
    }
    return md.digest();
  }

  /** Blob digest check, then gunzip, then the DiffID hash: two SHA-256 passes and an inflate per byte. */
  @Benchmark
  public boolean verifyGunzipAndHash() throws IOException {
    VerifyingInputStream in = new VerifyingInputStream(new ByteArrayInputStream(gzipped), gzippedDigest,
        gzipped.length);
    var md = dev.berth.oci.DigestAlgorithm.SHA256.newMessageDigest();
    try (InputStream gz = new GZIPInputStream(in, 256 * 1024)) {
      int n;
      while ((n = gz.read(buf)) >= 0) {
        md.update(buf, 0, n);
      }
    }
    drain(in);
    return in.verified() && md.digest().length == 32;
  }

  private void drain(InputStream in) throws IOException {
    while (in.read(buf, 0, buf.length) >= 0) {
      // hashing is the work
    }
  }
}
