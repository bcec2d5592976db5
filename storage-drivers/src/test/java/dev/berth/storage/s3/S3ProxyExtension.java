package dev.berth.storage.s3;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * One {@link S3ProxyServer} per test class, for JUnit 5: started before the class's tests (or earlier, on first
 * use, for Spring's {@code @DynamicPropertySource}, which runs before any {@code @BeforeAll}) and closed with its
 * content after them, together with the plain client of {@link #client()}.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final S3ProxyExtension S3 = S3ProxyExtension.filesystem();
 * ... new S3Driver(S3.server().driverConfig().build()) ...
 * }</pre>
 */
public final class S3ProxyExtension implements BeforeAllCallback, AfterAllCallback {
    private final boolean inMemory;
    private S3ProxyServer server;
    private S3Client client;

    private S3ProxyExtension(boolean inMemory) {
        this.inMemory = inMemory;
    }

    /** On S3Proxy's filesystem store in a temporary directory: any object size. */
    public static S3ProxyExtension filesystem() {
        return new S3ProxyExtension(false);
    }

    /** On S3Proxy's in-memory store: small objects only, but it records encryption headers. */
    public static S3ProxyExtension inMemory() {
        return new S3ProxyExtension(true);
    }

    /** The running server, started on first use. */
    public synchronized S3ProxyServer server() {
        if (server == null) {
            try {
                server = inMemory ? S3ProxyServer.launchInMemory() : S3ProxyServer.launch();
            } catch (Exception e) {
                throw new IllegalStateException("S3Proxy did not start", e);
            }
        }
        return server;
    }

    /** A plain SDK client of the server, for looking at the bucket behind a driver's back. */
    public synchronized S3Client client() {
        if (client == null) {
            client = server().newClient();
        }
        return client;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server();
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) throws Exception {
        try {
            if (client != null) {
                client.close();
            }
        } finally {
            client = null;
            if (server != null) {
                S3ProxyServer stopping = server;
                server = null;
                stopping.close();
            }
        }
    }
}
