package dev.berth.bench;

import dev.berth.oci.Digest;
import dev.berth.oci.ManifestParser;
import dev.berth.oci.MediaTypes;
import dev.berth.oci.ParsedManifest;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a manifest PUT costs the registry (parse and validate, digest of the body) and what serving one by
 * tag costs beyond the read (the digest for Docker-Content-Digest when it is not stored). A typical
 * 10-layer image manifest and a 4-platform index.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ManifestParserBenchmark {
  byte[] manifest;
  byte[] index;

  @Setup
  public void setUp() {
    StringBuilder layers = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      layers.append(i == 0 ? "" : ",").append(descriptor(MediaTypes.OCI_LAYER_GZIP, "layer" + i, 1_000_000L * i));
    }
    manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":"
        + descriptor("application/vnd.oci.image.config.v1+json", "config", 1234) + ",\"layers\":[" + layers
        + "],\"annotations\":{\"org.opencontainers.image.created\":\"2024-01-01T00:00:00Z\"}}")
        .getBytes(StandardCharsets.UTF_8);
    StringBuilder children = new StringBuilder();
    String[] arches = {"amd64", "arm64", "ppc64le", "s390x"};
    for (int i = 0; i < arches.length; i++) {
      String d = descriptor(MediaTypes.OCI_MANIFEST, "m" + i, 1500);
      children.append(i == 0 ? "" : ",").append(d, 0, d.length() - 1)
          .append(",\"platform\":{\"architecture\":\"").append(arches[i]).append("\",\"os\":\"linux\"}}");
    }
    index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[" + children
        + "]}").getBytes(StandardCharsets.UTF_8);
  }

  private static String descriptor(String mediaType, String seed, long size) {
    Digest d = Digest.sha256(seed.getBytes(StandardCharsets.UTF_8));
    return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + d + "\",\"size\":" + size + "}";
  }

  @Benchmark
  public ParsedManifest parseImageManifest() {
    return ManifestParser.parse(manifest, MediaTypes.OCI_MANIFEST);
  }

  @Benchmark
  public ParsedManifest parseIndex() {
    return ManifestParser.parse(index, MediaTypes.OCI_INDEX);
  }

  /** PUT: digest of the body plus parse and validation. */
  @Benchmark
  public Object putManifest() {
    Digest d = Digest.sha256(manifest);
    return ManifestParser.parse(manifest, MediaTypes.OCI_MANIFEST).mediaType() + d.hex();
  }

  /** GET by tag without a stored digest: the Docker-Content-Digest header's hash. */
  @Benchmark
  public Digest serveDigest() {
    return Digest.sha256(manifest);
  }
}
