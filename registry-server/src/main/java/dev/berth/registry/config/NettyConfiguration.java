package dev.berth.registry.config;

import dev.berth.registry.http.TlsHandshakeRejector;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelOption;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.Ssl;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Reactor Netty settings of the HTTP server. */
@Configuration(proxyBeanMethods = false)
public class NettyConfiguration {

    /**
     * Puts {@link TlsHandshakeRejector} in front of every new connection's pipeline, before the HTTP codec
     * sees a byte. Skipped when Berth itself terminates TLS, where 0x16 is expected: SSL is checked when the
     * server is built, after every factory customizer (including {@code berth.tls}) has run.
     */
    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> tlsHandshakeRejector() {
        return factory -> factory.addServerCustomizers(server -> Ssl.isEnabled(factory.getSsl())
                ? server
                : server.doOnChannelInit((observer, channel, remote) ->
                        channel.pipeline().addFirst(TlsHandshakeRejector.NAME, new TlsHandshakeRejector())));
    }

    /**
     * Lets socket reads grow to {@link #MAX_READ} bytes (Netty stops at 64 KiB): a blob upload then arrives in
     * a quarter of the reads, buffers and hand-offs to the storage pool. Reads start small and grow only while
     * they fill their buffer, so connections that send small requests keep small buffers.
     */
    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> largeReads() {
        return factory -> factory.addServerCustomizers(server -> server.childOption(
                ChannelOption.RECVBUF_ALLOCATOR,
                new AdaptiveRecvByteBufAllocator(
                        AdaptiveRecvByteBufAllocator.DEFAULT_MINIMUM,
                        AdaptiveRecvByteBufAllocator.DEFAULT_INITIAL,
                        MAX_READ)));
    }

    /** Largest socket read. */
    static final int MAX_READ = 256 * 1024;
}
