package dev.berth.registry.http;

import java.nio.file.Path;
import java.util.concurrent.Executor;
import org.reactivestreams.Publisher;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.ZeroCopyHttpOutputMessage;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;

/**
 * Starts every response write on the connection's own event loop. Responses produced on worker threads
 * (storage pool, bcrypt, actuator's blocking endpoints) were occasionally left unflushed by Reactor Netty
 * until the client sent another packet, so a client waiting for them hung: with the JDK HTTP client, 2 in 300
 * readiness probes before this filter. The body may still be produced on any thread; only the subscription
 * that commits the response and starts sending moves to the event loop.
 *
 * <p>The root cause is not pinned down yet. What is known (Reactor Netty 1.3.6, Netty 4.2.15 on epoll, JDK 17
 * HTTP client, a loaded 2-core machine):
 * <ul>
 * <li>ResponseFlushStressTest without this filter: about one request in 20,000 to 100,000 stalls. The last run
 * (issue 11) lost one in 100,000, a Prometheus scrape: the client had the head ({@code 200},
 * {@code Content-Length: 30123}) and no body byte after 20 s. That body is a single buffer, so Reactor Netty
 * writes head and body as one full response in one write-and-flush from the worker thread (Spring's
 * {@code writeWith(Mono)}, then {@code HttpOperations.send(Mono)}): part of one flushed write never reached the
 * client. Earlier runs also saw stalls with no head at all, on a scrape and on a signed-in {@code /v2/}.</li>
 * <li>Not reproduced without Spring: a bare Reactor Netty server completing responses on the bounded-elastic
 * pool, under the same two JDK clients with 48 requests in flight and the same idle and read timeouts, had 0
 * stalls in 100,000 twice: once with empty 401s, small bodies and 60 KB chunked bodies, once with Berth's
 * channel handlers added (TLS rejector, request-head timeout, per-address cap) and 30 KB bodies sent with a
 * length as one buffer, like the scrape.</li>
 * <li>Ruled out by reading the sources: {@code reactor.netty.http.server.lastFlushWhenNoRead} (off by default,
 * the only place HttpTrafficHandler defers a flush); a FlushConsolidationHandler (neither Boot nor Berth adds
 * one); HttpTrafficHandler's buffering of a keep-alive request that arrives before the previous exchange ends
 * (the termination that drains it always runs on the event loop, after the buffering; and the stalled scrape had
 * been read and answered).</li>
 * </ul>
 * With this filter: none in 100,000. Removing the filter needs that test to pass without it.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class EventLoopResponseFilter implements WebFilter {

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        Executor loop = eventLoopOf(exchange);
        if (loop == null) {
            return chain.filter(exchange);
        }
        Scheduler scheduler = Schedulers.fromExecutor(loop);
        ServerHttpResponse response = exchange.getResponse();
        // Keep zero-copy (sendfile) available: Spring only uses it when the response offers it.
        ServerHttpResponse onLoop = response instanceof ZeroCopyHttpOutputMessage
                ? new ZeroCopyOnLoop(response, scheduler)
                : new OnLoop(response, scheduler);
        return chain.filter(exchange.mutate().response(onLoop).build());
    }

    private static class OnLoop extends ServerHttpResponseDecorator {
        final Scheduler loop;

        OnLoop(ServerHttpResponse delegate, Scheduler loop) {
            super(delegate);
            this.loop = loop;
        }

        @Override
        public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
            return super.writeWith(body).subscribeOn(loop);
        }

        @Override
        public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
            return super.writeAndFlushWith(body).subscribeOn(loop);
        }

        @Override
        public Mono<Void> setComplete() {
            return super.setComplete().subscribeOn(loop);
        }
    }

    private static final class ZeroCopyOnLoop extends OnLoop implements ZeroCopyHttpOutputMessage {
        ZeroCopyOnLoop(ServerHttpResponse delegate, Scheduler loop) {
            super(delegate, loop);
        }

        @Override
        public Mono<Void> writeWith(Path file, long position, long count) {
            return ((ZeroCopyHttpOutputMessage) getDelegate())
                    .writeWith(file, position, count)
                    .subscribeOn(loop);
        }
    }

    /** The Netty event loop serving this exchange, or null outside Reactor Netty. */
    public static Executor eventLoopOf(ServerWebExchange exchange) {
        Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
        return nativeRequest instanceof Connection connection
                ? connection.channel().eventLoop()
                : null;
    }
}
