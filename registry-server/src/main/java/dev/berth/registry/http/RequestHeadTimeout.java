package dev.berth.registry.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the time from the first byte of a request head (request line and headers) to its end, on every
 * request of a connection. Idle and read timeouts restart with each byte, so a client sending its headers at one
 * byte a second (slowloris) would otherwise hold a connection for as long as it likes.
 *
 * <p>Two handlers share one connection's state: {@link #bytesIn} sits in front of the HTTP decoder and starts
 * the clock when bytes arrive while no request is in progress; {@link #decoded} sits behind the decoder and
 * stops it when the decoded head arrives. Bodies are not timed (uploads are bounded by the read timeout), and
 * neither is the idle time between keep-alive requests (the idle timeout is). When the bound passes, the
 * connection gets a bare {@code 408 Request Timeout} and is closed.
 */
public final class RequestHeadTimeout {
    /** Pipeline names of the two handlers. */
    public static final String BYTES_IN = "berth.requestHead.bytesIn";

    public static final String DECODED = "berth.requestHead.decoded";
    private static final String MESSAGE = "Request head not received in time.\n";
    private static final byte[] ANSWER = ("HTTP/1.1 408 Request Timeout\r\n"
                    + "Content-Type: text/plain; charset=utf-8\r\n"
                    + "Content-Length: " + MESSAGE.length() + "\r\n"
                    + "Connection: close\r\n\r\n" + MESSAGE)
            .getBytes(StandardCharsets.US_ASCII);

    private enum State {
        IDLE,
        HEAD,
        BODY
    }

    private final long timeoutNanos;
    private State state = State.IDLE;
    private ScheduledFuture<?> timer;

    private RequestHeadTimeout(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    /**
     * Installs the handlers around the pipeline's HTTP/1.1 decoder {@code codecName}; does nothing on a pipeline
     * without it.
     */
    public static void install(ChannelPipeline pipeline, String codecName, Duration timeout) {
        if (pipeline.get(codecName) == null) {
            return;
        }
        RequestHeadTimeout shared = new RequestHeadTimeout(timeout);
        pipeline.addBefore(codecName, BYTES_IN, shared.new BytesIn());
        pipeline.addAfter(codecName, DECODED, shared.new Decoded());
    }

    private void start(ChannelHandlerContext ctx) {
        state = State.HEAD;
        timer = ctx.executor().schedule(() -> expire(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void stop() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        timer = null;
        if (state == State.HEAD && ctx.channel().isActive()) {
            // Written from in front of the encoder: raw bytes, whatever state the HTTP codec is in.
            ctx.writeAndFlush(Unpooled.wrappedBuffer(ANSWER)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** In front of the decoder: the first byte of a new request starts the clock. */
    private final class BytesIn extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (state == State.IDLE && msg instanceof ByteBuf buf && buf.isReadable()) {
                start(ctx);
            }
            if (state == State.HEAD && timer == null) {
                // Expired: the 408 is on its way and the connection closing; the decoder gets nothing more.
                ReferenceCountUtil.release(msg);
                return;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            stop();
            ctx.fireChannelInactive();
        }
    }

    /** Behind the decoder: a decoded head stops the clock; the end of the request re-arms the first handler. */
    private final class Decoded extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                stop();
                state = State.BODY;
            }
            if (msg instanceof LastHttpContent) {
                state = State.IDLE;
            }
            ctx.fireChannelRead(msg);
        }
    }
}
