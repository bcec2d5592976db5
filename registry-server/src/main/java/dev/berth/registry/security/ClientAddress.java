package dev.berth.registry.security;

import java.net.InetSocketAddress;
import org.springframework.web.server.ServerWebExchange;

/**
 * The client's address as the socket sees it. Forwarded headers are honoured only when Spring Boot is told to
 * ({@code server.forward-headers-strategy}), which rewrites the remote address before this runs.
 */
public final class ClientAddress {
    private ClientAddress() {}

    /** The remote IP address, or {@code unknown}. */
    public static String of(ServerWebExchange exchange) {
        InetSocketAddress remote = exchange.getRequest().getRemoteAddress();
        if (remote == null) {
            return "unknown";
        }
        return remote.getAddress() == null
                ? remote.getHostString()
                : remote.getAddress().getHostAddress();
    }
}
