package dev.berth.registry.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;

/**
 * First handler of every connection on the plain-HTTP port. Go clients (docker, containerd, skopeo) try HTTPS
 * first and fall back to HTTP only when that attempt fails; without this handler the HTTP decoder would wait
 * for a line end that a TLS ClientHello never sends, and every command would stall until a timeout.
 *
 * <p>If the first byte is a TLS handshake record (0x16) the handler answers like Go's own HTTPS server does
 * in the opposite situation, with a short HTTP/1.0 400, and closes. A Go TLS client reads "HTTP/" where it
 * expected a record header and fails at once with "server gave HTTP response to HTTPS client", the very error
 * its fallback logic looks for. Any other first byte removes the handler: the connection is plain HTTP.
 */
public final class TlsHandshakeRejector extends ChannelInboundHandlerAdapter {
    /** Pipeline name of this handler. */
    public static final String NAME = "berth.tlsHandshakeRejector";

    private static final byte TLS_HANDSHAKE = 0x16;
    private static final byte[] ANSWER = ("HTTP/1.0 400 Bad Request\r\n"
                    + "Content-Type: text/plain; charset=utf-8\r\n"
                    + "Connection: close\r\n\r\n"
                    + "Client sent a TLS handshake to a plain-HTTP server.\n")
            .getBytes(StandardCharsets.US_ASCII);

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf && buf.isReadable()) {
            if (buf.getByte(buf.readerIndex()) == TLS_HANDSHAKE) {
                buf.release();
                ctx.writeAndFlush(Unpooled.wrappedBuffer(ANSWER)).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ctx.pipeline().remove(this);
        }
        ctx.fireChannelRead(msg);
    }
}
