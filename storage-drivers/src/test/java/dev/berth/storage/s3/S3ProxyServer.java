package dev.berth.storage.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.S3ProxyConstants;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for tests: S3Proxy 4.1 on loopback, with SigV4 authentication on, backed by S3Proxy's
 * filesystem blob store in a directory (not the in-memory one: tests write objects larger than 4 GiB).
 *
 * <pre>{@code
 * try (S3ProxyServer s3 = S3ProxyServer.launch()) {
 *     S3Driver driver = new S3Driver(s3.driverConfig().build());
 *     ...
 *     s3.stop();   // requests now fail: connection refused
 *     s3.start();  // same port, same content
 * }
 * }</pre>
 *
 * <p>The blob store is wrapped in a {@link CountingBlobStore}: {@link #store()} tells how many server-side
 * copies were made and can inject S3 errors. Shipped in this module's test-jar so other modules (the registry
 * server) can run against S3 too; {@link #main} runs it standalone for scripts.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "berth-test-access";
    public static final String SECRET_KEY = "berth-test-secret-0123456789";
    public static final String BUCKET = "berth";
    public static final String REGION = "us-east-1";

    private final Path directory;
    private final boolean ownsDirectory;
    private final CountingBlobStore store;
    private int port;
    private S3Proxy proxy;

    private S3ProxyServer(Path directory, boolean ownsDirectory, int port) {
        this(directory, ownsDirectory, port, "filesystem");
    }

    private S3ProxyServer(Path directory, boolean ownsDirectory, int port, String provider) {
        this.directory = directory;
        this.ownsDirectory = ownsDirectory;
        this.port = port;
        Properties backend = new Properties();
        backend.setProperty("jclouds.filesystem.basedir", directory.toString());
        this.store = new CountingBlobStore(BlobStores.create(provider, backend));
        if (!store.containerExists(BUCKET)) {
            store.createContainer(BUCKET);
        }
    }

    /** Starts a server on a free loopback port, storing in a fresh temporary directory deleted by {@link #close()}. */
    public static S3ProxyServer launch() throws Exception {
        S3ProxyServer server = new S3ProxyServer(Files.createTempDirectory("berth-s3proxy-"), true, 0);
        server.startServer();
        return server;
    }

    /**
     * Starts a server on S3Proxy's in-memory store, for small objects only. Unlike the filesystem store it
     * accepts server-side encryption headers and records them, so encryption settings can be checked.
     */
    public static S3ProxyServer launchInMemory() throws Exception {
        S3ProxyServer server = new S3ProxyServer(Files.createTempDirectory("berth-s3proxy-"), true, 0, "transient");
        server.startServer();
        return server;
    }

    /** Starts a server storing in {@code directory} (kept on close) on {@code port} (0: any free one). */
    public static S3ProxyServer launch(Path directory, int port) throws Exception {
        Files.createDirectories(directory);
        S3ProxyServer server = new S3ProxyServer(directory, false, port);
        server.startServer();
        return server;
    }

    /** Restarts a {@linkplain #stop() stopped} server on the same port with the same content. */
    public synchronized void start() throws Exception {
        if (proxy == null) {
            startServer();
        }
    }

    /**
     * Stops serving, abruptly like a crashed server: open connections are cut and new ones refused until
     * {@link #start()}. The content stays.
     */
    public synchronized void stop() throws Exception {
        if (proxy != null) {
            S3Proxy stopping = proxy;
            proxy = null;
            stopping.stop();
        }
    }

    public synchronized boolean isRunning() {
        return proxy != null;
    }

    private synchronized void startServer() throws Exception {
        Properties properties = new Properties();
        properties.setProperty(S3ProxyConstants.PROPERTY_ENDPOINT, "http://127.0.0.1:" + port);
        properties.setProperty(S3ProxyConstants.PROPERTY_AUTHORIZATION, "aws-v2-or-v4");
        properties.setProperty(S3ProxyConstants.PROPERTY_IDENTITY, ACCESS_KEY);
        properties.setProperty(S3ProxyConstants.PROPERTY_CREDENTIAL, SECRET_KEY);
        properties.setProperty(S3ProxyConstants.PROPERTY_IGNORE_UNKNOWN_HEADERS, "true");
        S3Proxy started = S3Proxy.Builder.fromProperties(properties)
                .blobStore(store)
                // Stopping is for fault tests: no graceful drain (it would also wait for idle keep-alive
                // connections of clients), just close everything as a crash would.
                .stopTimeout(0)
                .build();
        started.start();
        // The first start may pick any free port; restarts must come back on the same one.
        port = started.getPort();
        proxy = started;
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    public String accessKey() {
        return ACCESS_KEY;
    }

    public String secretKey() {
        return SECRET_KEY;
    }

    public String bucket() {
        return BUCKET;
    }

    public String region() {
        return REGION;
    }

    /** Where the filesystem blob store keeps its files ({@code <directory>/<bucket>/<key>}). */
    public Path directory() {
        return directory;
    }

    /** The server-side view: copy counters and error injection. */
    public CountingBlobStore store() {
        return store;
    }

    /** An {@link S3DriverConfig} builder already pointing at this server. */
    public S3DriverConfig.Builder driverConfig() {
        return S3DriverConfig.builder(BUCKET)
                .region(REGION)
                .endpoint(endpoint())
                .pathStyleAccess(true)
                .credentials(ACCESS_KEY, SECRET_KEY);
    }

    /** A plain SDK client for this server, for tests that inspect the bucket behind a driver's back. Close it. */
    public S3Client newClient() {
        return S3Client.builder()
                .region(Region.of(REGION))
                .endpointOverride(endpoint())
                .forcePathStyle(true)
                .credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .httpClientBuilder(Apache5HttpClient.builder())
                .build();
    }

    @Override
    public void close() throws Exception {
        try {
            stop();
        } finally {
            store.close();
            if (ownsDirectory) {
                deleteRecursively(directory);
            }
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs the server until killed: {@code S3ProxyServer [port [directory]]} (defaults: 9000, a temporary
     * directory). Prints the endpoint, bucket and credentials as {@code KEY=value} lines.
     */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 9000;
        S3ProxyServer server = args.length > 1
                ? launch(Path.of(args[1]), port)
                : new S3ProxyServer(Files.createTempDirectory("berth-s3proxy-"), true, port);
        if (!server.isRunning()) {
            server.startServer();
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
        }));
        System.out.println("S3_ENDPOINT=" + server.endpoint());
        System.out.println("S3_BUCKET=" + server.bucket());
        System.out.println("S3_REGION=" + server.region());
        System.out.println("AWS_ACCESS_KEY_ID=" + server.accessKey());
        System.out.println("AWS_SECRET_ACCESS_KEY=" + server.secretKey());
        System.out.println("S3_DATA_DIR=" + server.directory());
        new CountDownLatch(1).await();
    }
}
