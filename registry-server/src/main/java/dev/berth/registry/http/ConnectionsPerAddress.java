package dev.berth.registry.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps the connections open at once from one client address, so that one host cannot take every connection the
 * server can hold. A connection over the cap is closed as soon as it is accepted, before it is read. Behind a
 * reverse proxy every client shares the proxy's address: raise the cap or turn it off there.
 */
public final class ConnectionsPerAddress {
    private static final Logger log = LoggerFactory.getLogger(ConnectionsPerAddress.class);
    /** Pipeline name of the handler that closes a refused connection. */
    public static final String REFUSE = "berth.connectionsPerAddress.refuse";

    private final int max;
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

    /** @param max connections allowed per address; at least 1 */
    public ConnectionsPerAddress(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1: " + max);
        }
        this.max = max;
    }

    /** Counts a newly accepted channel against its remote address, and refuses it when that passes the cap. */
    public void admit(Channel channel) {
        if (!(channel.remoteAddress() instanceof InetSocketAddress inet) || inet.getAddress() == null) {
            return;
        }
        InetAddress address = inet.getAddress();
        int count = open.merge(address, 1, Integer::sum);
        channel.closeFuture().addListener(closed -> open.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1));
        if (count > max) {
            log.debug("refused a connection from {}: {} already open", address.getHostAddress(), max);
            channel.pipeline().addFirst(REFUSE, new Refuse());
        }
    }

    /** Connections currently open from {@code address}. */
    public int open(InetAddress address) {
        return open.getOrDefault(address, 0);
    }

    private static final class Refuse extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (ctx.channel().isActive()) {
                ctx.close();
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.close();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
