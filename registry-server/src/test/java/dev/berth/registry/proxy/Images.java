package dev.berth.registry.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.oci.MediaTypes;
import dev.berth.oci.OciJson;
import dev.berth.registry.testing.Resp;
import dev.berth.registry.testing.TestHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Pushes images into an upstream over plain HTTP (monolithic blob uploads, OCI manifests) with a fixed
 * Authorization header, or none.
 */
final class Images {
    static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    private final String base;
    private final String authorization;
    private final HttpClient client;

    Images(String base, String authorization) {
        this(base, authorization, HTTP);
    }

    Images(String base, String authorization, HttpClient client) {
        this.base = base;
        this.authorization = authorization;
        this.client = client;
    }

    Resp send(String method, String path, HttpRequest.BodyPublisher body, String... headers) {
        List<String> all = new ArrayList<>(List.of(headers));
        if (authorization != null) {
            all.add("Authorization");
            all.add(authorization);
        }
        return TestHttp.send(client, method, URI.create(base + path), body, TIMEOUT, all.toArray(String[]::new));
    }

    Digest pushBlob(String repo, byte[] content) {
        return pushBlob(repo, Digest.sha256(content), HttpRequest.BodyPublishers.ofByteArray(content));
    }

    Digest pushBlob(String repo, Digest digest, HttpRequest.BodyPublisher body) {
        Resp r = send("POST", "/v2/" + repo + "/blobs/uploads/", HttpRequest.BodyPublishers.noBody());
        assertThat(r.status()).as("%s", r).isEqualTo(202);
        String location = r.header("Location");
        String url = (location.startsWith("http") ? location.substring(base.length()) : location)
                + (location.contains("?") ? "&" : "?") + "digest=" + digest;
        Resp put = send("PUT", url, body, "Content-Type", "application/octet-stream");
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        return digest;
    }

    /** Pushes an image whose one layer is {@code layer} (a tar.gz); returns the manifest digest. */
    String pushImage(String repo, String tag, byte[] layer) {
        return pushImage(repo, tag, Digest.sha256(layer), layer.length, diffId(layer), () -> pushBlob(repo, layer));
    }

    /** Pushes an image over a layer already pushed (or pushed by {@code pushLayer}). */
    String pushImage(String repo, String tag, Digest layer, long layerSize, String diffId, Runnable pushLayer) {
        pushLayer.run();
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
                        + "\"diff_ids\":[" + (diffId == null ? "" : "\"" + diffId + "\"")
                        + "]},\"config\":{},\"created\":\"2026-01-01T00:00:00Z\",\"comment\":\""
                        + tag + System.nanoTime() + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        Digest c = pushBlob(repo, config);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.OCI_MANIFEST);
        m.put("config", Map.of("mediaType", MediaTypes.OCI_CONFIG, "digest", c.toString(), "size", config.length));
        m.put(
                "layers",
                List.of(Map.of("mediaType", MediaTypes.OCI_LAYER_GZIP, "digest", layer.toString(), "size", layerSize)));
        byte[] manifest = OciJson.mapper().writeValueAsBytes(m);
        Resp r = send(
                "PUT",
                "/v2/" + repo + "/manifests/" + tag,
                HttpRequest.BodyPublishers.ofByteArray(manifest),
                "Content-Type",
                MediaTypes.OCI_MANIFEST);
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        return Digest.sha256(manifest).toString();
    }

    /** The digest of the uncompressed layer (its diff ID) when it is gzip, else null. */
    static String diffId(byte[] layer) {
        try {
            return digestOf(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(layer)));
        } catch (IOException notGzip) {
            return null;
        }
    }

    /** A gzipped tar holding one file of random bytes. */
    static byte[] layer(long seed, int size) throws IOException {
        byte[] content = new byte[size];
        new Random(seed).nextBytes(content);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(out))) {
            TarArchiveEntry entry = new TarArchiveEntry("data-" + seed + ".bin");
            entry.setSize(size);
            entry.setMode(0644);
            tar.putArchiveEntry(entry);
            tar.write(content);
            tar.closeArchiveEntry();
        }
        return out.toByteArray();
    }

    /** Writes {@code size} pseudo-random bytes to a file and returns their digest. */
    static Digest randomFile(Path file, long seed, long size) throws IOException {
        MessageDigest sha = sha256();
        Random random = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        try (var out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                int n = (int) Math.min(chunk.length, left);
                out.write(chunk, 0, n);
                sha.update(chunk, 0, n);
            }
        }
        return Digest.parse("sha256:" + HexFormat.of().formatHex(sha.digest()));
    }

    /** Reads a stream to its end, returning the sha256 digest of what was read. */
    static String digestOf(InputStream in) throws IOException {
        try (DigestInputStream d = new DigestInputStream(in, sha256())) {
            d.transferTo(java.io.OutputStream.nullOutputStream());
            return "sha256:" + HexFormat.of().formatHex(d.getMessageDigest().digest());
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
