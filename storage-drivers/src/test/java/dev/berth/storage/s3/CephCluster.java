package dev.berth.storage.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real distributed S3 for tests: a single-node Ceph cluster (Debian's {@code ceph-mon}, {@code ceph-osd},
 * {@code radosgw} packages) on loopback, in a temporary directory, without systemd. One monitor, one OSD on the
 * in-memory object store (pools of size 1), and the RADOS Gateway's beast frontend serving S3 over plain HTTP
 * and over HTTPS with a self-signed certificate for 127.0.0.1 ({@link #caCertificate()}). A user with fixed keys
 * owns the bucket {@link #BUCKET}. Starting takes about 15 s, so a test JVM starts it once ({@link #shared()})
 * and a shutdown hook kills the daemons and deletes the directory.
 *
 * <p>Cephx is off ({@code auth ... required = none}, and the monitor accepts the {@code crc} connection mode
 * that goes with it), so no keyring is needed; every daemon runs in the foreground as a child of the JVM.
 */
public final class CephCluster implements AutoCloseable {
    public static final String ACCESS_KEY = "berth-ceph-access";
    public static final String SECRET_KEY = "berth-ceph-secret-0123456789";
    public static final String BUCKET = "berth";
    public static final String REGION = "us-east-1";
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);

    private static CephCluster shared;
    /** Why the shared cluster could not start: every later caller fails at once instead of trying again. */
    private static IllegalStateException sharedFailure;

    private final Path directory;
    private final Path conf;
    private final List<Process> daemons = new ArrayList<>();
    private int httpPort;
    private int httpsPort;

    private CephCluster(Path directory) {
        this.directory = directory;
        this.conf = directory.resolve("ceph.conf");
    }

    /** The cluster of this JVM, started on first use and stopped when the JVM exits. */
    public static synchronized CephCluster shared() throws Exception {
        if (sharedFailure != null) {
            throw new IllegalStateException("the Ceph cluster of this JVM failed to start", sharedFailure);
        }
        if (shared == null) {
            try {
                shared = start();
            } catch (IllegalStateException e) {
                sharedFailure = e;
                throw e;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "ceph-cluster-stop"));
        }
        return shared;
    }

    /** Starts a cluster of its own; {@link #close()} stops it. */
    public static CephCluster start() throws Exception {
        CephCluster cluster = new CephCluster(Files.createTempDirectory("berth-ceph-"));
        try {
            cluster.boot();
            return cluster;
        } catch (Exception | Error e) {
            String logs = cluster.logTails();
            cluster.close();
            throw new IllegalStateException("could not start a Ceph cluster: " + e.getMessage() + "\n" + logs, e);
        }
    }

    private void boot() throws Exception {
        String fsid = UUID.randomUUID().toString();
        int monPort = freePort();
        httpPort = freePort();
        httpsPort = freePort();
        for (String dir : List.of("mon", "osd0", "run", "log", "rgw")) {
            Files.createDirectories(directory.resolve(dir));
        }
        Path certificate = directory.resolve("rgw.crt");
        Path key = directory.resolve("rgw.key");
        run(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                key.toString(),
                "-out",
                certificate.toString());
        Files.writeString(
                conf,
                String.join(
                        "\n",
                        "[global]",
                        "fsid = " + fsid,
                        "mon host = v2:127.0.0.1:" + monPort,
                        "public addr = 127.0.0.1",
                        "ms bind ipv6 = false",
                        // No cephx: no keyrings. Clients then need the crc connection mode (secure needs cephx).
                        "auth cluster required = none",
                        "auth service required = none",
                        "auth client required = none",
                        "ms mon client mode = crc secure",
                        "mon allow pool size one = true",
                        "mon allow pool delete = true",
                        "osd pool default size = 1",
                        "osd pool default min size = 1",
                        "osd pool default pg num = 8",
                        "osd pool default pgp num = 8",
                        "osd crush chooseleaf type = 0",
                        "osd objectstore = memstore",
                        // Reported capacity only: memory is used as objects are written.
                        "memstore device bytes = " + (16L << 30),
                        "mon data = " + directory.resolve("mon"),
                        "osd data = " + directory.resolve("osd$id"),
                        "run dir = " + directory.resolve("run"),
                        "admin socket = " + directory.resolve("run") + "/$name.asok",
                        "log file = " + directory.resolve("log") + "/$name.log",
                        "mon cluster log file = " + directory.resolve("log") + "/cluster.log",
                        "",
                        "[client.rgw]",
                        "rgw data = " + directory.resolve("rgw"),
                        "rgw frontends = beast endpoint=127.0.0.1:" + httpPort + " ssl_endpoint=127.0.0.1:" + httpsPort
                                + " ssl_certificate=" + certificate + " ssl_private_key=" + key,
                        ""));
        Path monmap = directory.resolve("monmap");
        run(
                "monmaptool",
                "--create",
                "--addv",
                "a",
                "[v2:127.0.0.1:" + monPort + "]",
                "--fsid",
                fsid,
                monmap.toString());
        run("ceph-mon", "-c", conf.toString(), "--mkfs", "-i", "a", "--monmap", monmap.toString());
        daemon("mon", "ceph-mon", "-c", conf.toString(), "-i", "a", "-f");

        String osdId = run("ceph", "-c", conf.toString(), "--connect-timeout", "30", "osd", "create")
                .trim();
        run(
                "ceph-osd",
                "-c",
                conf.toString(),
                "-i",
                osdId,
                "--mkfs",
                "--osd-uuid",
                UUID.randomUUID().toString());
        daemon("osd", "ceph-osd", "-c", conf.toString(), "-i", osdId, "-f");

        daemon("rgw", "radosgw", "-c", conf.toString(), "-n", "client.rgw", "-f");
        awaitHttp();
        run(
                "radosgw-admin",
                "-c",
                conf.toString(),
                "user",
                "create",
                "--uid",
                "berth",
                "--display-name",
                "berth",
                "--access-key",
                ACCESS_KEY,
                "--secret-key",
                SECRET_KEY);
        try (S3Client client = newClient()) {
            client.createBucket(b -> b.bucket(BUCKET));
        }
    }

    /** Runs a command to completion and returns its standard output; fails on a non-zero exit. */
    private String run(String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(directory.resolve("log"), command[0] + "-", ".out");
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        if (!process.waitFor(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IOException(String.join(" ", command) + " did not finish within " + STEP_TIMEOUT);
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + process.exitValue() + ":\n" + output);
        }
        return output;
    }

    private void daemon(String name, String... command) throws IOException {
        Path out = directory.resolve("log").resolve(name + ".out");
        daemons.add(new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start());
    }

    /** Waits until the gateway answers over HTTP (it first creates its pools). */
    private void awaitHttp() throws Exception {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (true) {
            for (Process daemon : daemons) {
                if (!daemon.isAlive()) {
                    throw new IOException("a Ceph daemon exited with " + daemon.exitValue());
                }
            }
            try {
                HttpURLConnection connection =
                        (HttpURLConnection) httpEndpoint().toURL().openConnection();
                connection.setConnectTimeout(1000);
                connection.setReadTimeout(5000);
                if (connection.getResponseCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // keep waiting
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the RADOS Gateway did not answer within " + STEP_TIMEOUT);
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    /** S3 over plain HTTP. */
    public URI httpEndpoint() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    /** S3 over HTTPS; clients must trust {@link #caCertificate()}. */
    public URI httpsEndpoint() {
        return URI.create("https://127.0.0.1:" + httpsPort);
    }

    /** The gateway's self-signed certificate (PEM), issued for 127.0.0.1. */
    public Path caCertificate() {
        return directory.resolve("rgw.crt");
    }

    public URI endpoint(boolean https) {
        return https ? httpsEndpoint() : httpEndpoint();
    }

    /** An {@link S3DriverConfig} builder for this cluster's bucket over HTTP or HTTPS. */
    public S3DriverConfig.Builder driverConfig(boolean https) {
        S3DriverConfig.Builder builder = S3DriverConfig.builder(BUCKET)
                .region(REGION)
                .endpoint(endpoint(https))
                .pathStyleAccess(true)
                .credentials(ACCESS_KEY, SECRET_KEY);
        return https ? builder.caCertificate(caCertificate()) : builder;
    }

    /** A plain SDK client over HTTP, for tests that inspect the bucket behind a driver's back. Close it. */
    public S3Client newClient() {
        return S3Client.builder()
                .region(Region.of(REGION))
                .endpointOverride(httpEndpoint())
                .forcePathStyle(true)
                .credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .httpClientBuilder(Apache5HttpClient.builder())
                .build();
    }

    private String logTails() {
        StringBuilder tails = new StringBuilder();
        try (Stream<Path> logs = Files.list(directory.resolve("log"))) {
            for (Path log : logs.sorted().toList()) {
                String text = Files.readString(log, StandardCharsets.UTF_8);
                tails.append("--- ")
                        .append(log.getFileName())
                        .append('\n')
                        .append(text.substring(Math.max(0, text.length() - 1500)))
                        .append('\n');
            }
        } catch (IOException | UncheckedIOException e) {
            tails.append("(logs unreadable: ").append(e).append(")");
        }
        return tails.toString();
    }

    /** Kills the daemons (gateway first) and deletes the directory. */
    @Override
    public synchronized void close() {
        for (int i = daemons.size() - 1; i >= 0; i--) {
            Process daemon = daemons.get(i);
            daemon.destroyForcibly();
            try {
                daemon.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        daemons.clear();
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException | UncheckedIOException e) {
            // A log a dying daemon was still writing: say what is left rather than fail the test run over it.
            System.err.println("CephCluster: could not delete all of " + directory + ": " + e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
