package dev.berth.registry;

import dev.berth.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationListener;

/**
 * The launcher's training run (registry-server/bin/berth-registry): once the registry is ready, it pushes and
 * pulls one tiny image through its own HTTP port, then exits. The JVM records what that start and those
 * requests loaded (a class-data-sharing archive, or JDK 25's AOT cache), so later starts map those classes
 * instead of loading, verifying and linking them again. Requests go over the loopback socket like a client's,
 * so the archive also holds the Netty pipeline and the handlers a first request needs.
 */
final class TrainingRun implements ApplicationListener<ApplicationReadyEvent> {

    /** The launcher passes this argument, with a throw-away storage root and {@code --server.port=0}. */
    static final String ARGUMENT = "--berth.training-run=true";

    private static final Log log = LogFactory.getLog(TrainingRun.class);

    static boolean requested(String[] args) {
        return Arrays.asList(args).contains(ARGUMENT);
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        int port = ((WebServerApplicationContext) event.getApplicationContext())
                .getWebServer()
                .getPort();
        try {
            exercise("http://127.0.0.1:" + port);
        } catch (IOException | RuntimeException e) {
            // The archive is then a little less complete; the requests are an optimisation, not a check.
            log.warn("training requests failed: " + e);
        }
        System.exit(SpringApplication.exit(event.getApplicationContext()));
    }

    private static void exercise(String base) throws IOException {
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] layer = "training layer".getBytes(StandardCharsets.UTF_8);
        String configDigest = Digest.sha256(config).toString();
        String layerDigest = Digest.sha256(layer).toString();
        String repo = base + "/v2/training/run";
        send("GET", base + "/v2/", null, null);
        send("POST", repo + "/blobs/uploads/?digest=" + configDigest, "application/octet-stream", config);
        send("POST", repo + "/blobs/uploads/?digest=" + layerDigest, "application/octet-stream", layer);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + configDigest + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + layerDigest + "\",\"size\":"
                + layer.length + "}]}";
        String manifestType = "application/vnd.oci.image.manifest.v1+json";
        send("PUT", repo + "/manifests/latest", manifestType, manifest.getBytes(StandardCharsets.UTF_8));
        send("HEAD", repo + "/manifests/latest", null, null);
        send("GET", repo + "/manifests/latest", null, null);
        send("HEAD", repo + "/blobs/" + layerDigest, null, null);
        send("GET", repo + "/blobs/" + layerDigest, null, null);
        send("GET", repo + "/tags/list", null, null);
        send("GET", base + "/v2/_catalog", null, null);
        send("GET", base + "/actuator/health/liveness", null, null);
    }

    private static void send(String method, String url, String type, byte[] body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setRequestMethod(method);
        if (body != null) {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", type);
            c.setFixedLengthStreamingMode(body.length);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
        }
        int status = c.getResponseCode();
        try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
            if (in != null) {
                in.readAllBytes();
            }
        }
        if (status >= 400) {
            log.warn("training request " + method + " " + url + " answered " + status);
        }
    }
}
