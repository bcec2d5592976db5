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
 * <p>The root cause is not pinned down yet. What is known (ResponseFlushStressTest without this filter, on a
 * loaded 2-core machine, Reactor Netty 1.3.6 on epoll): about one request in 20,000 gets no answer at all (no
 * response head) on a kept-alive connection, seen on a scrape and on a signed-in {@code /v2/}; with this filter,
 * none in 100,000. Removing the filter needs that test to pass without it.
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
                ? new ZeroCopyOnLoop(response, scheduler) : new OnLoop(response, scheduler);
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
            return ((ZeroCopyHttpOutputMessage) getDelegate()).writeWith(file, position, count).subscribeOn(loop);
        }
    }

    /** The Netty event loop serving this exchange, or null outside Reactor Netty. */
    public static Executor eventLoopOf(ServerWebExchange exchange) {
        Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
        return nativeRequest instanceof Connection connection ? connection.channel().eventLoop() : null;
    }
}
