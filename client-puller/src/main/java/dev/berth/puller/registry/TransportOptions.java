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
 * @param readTimeout    how long any read may block: the wait for a response's head, and each read of
 *                       its body (a socket timeout). Blob requests use the shorter stall limit
 *                       ({@code berth.pull.stallSeconds}, 30 s) for both, after which the body is resumed
 * @param proxies        HTTP(S) proxies; {@link #defaults()} reads them from the environment
 */
public record TransportOptions(
        boolean plainHttp,
        boolean insecure,
        Path caFile,
        Duration connectTimeout,
        Duration readTimeout,
        ProxySettings proxies) {

    public TransportOptions {
        proxies = proxies == null ? ProxySettings.NONE : proxies;
    }

    /** HTTPS, verified, with the proxies of this process's environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY). */
    public static TransportOptions defaults() {
        return new TransportOptions(
                false,
                false,
                null,
                Duration.ofSeconds(15),
                Duration.ofSeconds(60),
                ProxySettings.fromEnvironment(System.getenv()));
    }

    public TransportOptions withPlainHttp(boolean value) {
        return new TransportOptions(value, insecure, caFile, connectTimeout, readTimeout, proxies);
    }

    public TransportOptions withInsecure(boolean value) {
        return new TransportOptions(plainHttp, value, caFile, connectTimeout, readTimeout, proxies);
    }

    public TransportOptions withCaFile(Path value) {
        return new TransportOptions(plainHttp, insecure, value, connectTimeout, readTimeout, proxies);
    }

    public TransportOptions withProxies(ProxySettings value) {
        return new TransportOptions(plainHttp, insecure, caFile, connectTimeout, readTimeout, value);
    }

    public String scheme() {
        return plainHttp ? "http" : "https";
    }
}
