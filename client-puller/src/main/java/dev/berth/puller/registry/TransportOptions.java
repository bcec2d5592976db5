package dev.berth.puller.registry;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How to reach registries.
 *
 * @param plainHttp      speak plain HTTP instead of HTTPS (only when the user asked for it)
 * @param insecure       accept any TLS certificate and host name
 * @param caFile         an extra PEM file of CA certificates trusted besides the system store; may be null
 * @param connectTimeout TCP/TLS connect timeout
 * @param readTimeout    how long a response may take to start (headers); body reads are bounded by
 *                       the stall detection of the resuming stream
 */
public record TransportOptions(boolean plainHttp, boolean insecure, Path caFile, Duration connectTimeout,
                               Duration readTimeout) {

    public static TransportOptions defaults() {
        return new TransportOptions(false, false, null, Duration.ofSeconds(15), Duration.ofSeconds(60));
    }

    public TransportOptions withPlainHttp(boolean value) {
        return new TransportOptions(value, insecure, caFile, connectTimeout, readTimeout);
    }

    public TransportOptions withInsecure(boolean value) {
        return new TransportOptions(plainHttp, value, caFile, connectTimeout, readTimeout);
    }

    public TransportOptions withCaFile(Path value) {
        return new TransportOptions(plainHttp, insecure, value, connectTimeout, readTimeout);
    }

    public String scheme() {
        return plainHttp ? "http" : "https";
    }
}
