package dev.berth.registry.observe;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.ZeroCopyHttpOutputMessage;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Decorates an exchange so that body bytes are counted as they stream by: each buffer's size is added when it
 * passes, nothing is held. A response that can send a file region ({@code sendfile}) keeps that ability, and
 * the region counts once it was sent. A body written to the connection past the decorators reports itself
 * through {@link #countSent}.
 */
public final class CountingExchange {
    private static final String BYTES_OUT = CountingExchange.class.getName() + ".bytesOut";
    final AtomicLong bytesIn = new AtomicLong();
    final AtomicLong bytesOut = new AtomicLong();
    final ServerWebExchange exchange;

    CountingExchange(ServerWebExchange original) {
        ServerHttpResponse response = original.getResponse();
        this.exchange = original.mutate()
                .request(new CountingRequest(original.getRequest(), bytesIn))
                .response(
                        response instanceof ZeroCopyHttpOutputMessage
                                ? new ZeroCopyCountingResponse(response, bytesOut)
                                : new CountingResponse(response, bytesOut))
                .build();
        original.getAttributes().put(BYTES_OUT, bytesOut);
    }

    /**
     * Counts {@code bytes} sent for {@code exchange} by a writer that bypasses the response decorators (a file
     * region written straight to the connection); does nothing for an exchange that is not being counted.
     */
    public static void countSent(ServerWebExchange exchange, long bytes) {
        if (exchange.getAttribute(BYTES_OUT) instanceof AtomicLong counter) {
            counter.addAndGet(bytes);
        }
    }

    private static final class CountingRequest extends ServerHttpRequestDecorator {
        private final AtomicLong counter;

        CountingRequest(ServerHttpRequest delegate, AtomicLong counter) {
            super(delegate);
            this.counter = counter;
        }

        @Override
        public Flux<DataBuffer> getBody() {
            return super.getBody().doOnNext(buffer -> counter.addAndGet(buffer.readableByteCount()));
        }
    }

    private static class CountingResponse extends ServerHttpResponseDecorator {
        final AtomicLong counter;

        CountingResponse(ServerHttpResponse delegate, AtomicLong counter) {
            super(delegate);
            this.counter = counter;
        }

        @Override
        public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
            // A Mono stays a Mono: the server then writes headers and a small body in one flush.
            return super.writeWith(
                    body instanceof Mono<? extends DataBuffer> single
                            ? single.doOnNext(this::count)
                            : Flux.from(body).doOnNext(this::count));
        }

        @Override
        public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
            return super.writeAndFlushWith(
                    Flux.from(body).map(inner -> Flux.from(inner).doOnNext(this::count)));
        }

        private void count(DataBuffer buffer) {
            counter.addAndGet(buffer.readableByteCount());
        }
    }

    private static final class ZeroCopyCountingResponse extends CountingResponse implements ZeroCopyHttpOutputMessage {
        ZeroCopyCountingResponse(ServerHttpResponse delegate, AtomicLong counter) {
            super(delegate, counter);
        }

        @Override
        public Mono<Void> writeWith(Path file, long position, long count) {
            return ((ZeroCopyHttpOutputMessage) getDelegate())
                    .writeWith(file, position, count)
                    .doOnSuccess(done -> counter.addAndGet(count));
        }
    }
}
