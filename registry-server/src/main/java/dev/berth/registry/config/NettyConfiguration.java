package dev.berth.registry.config;

import dev.berth.registry.http.TlsHandshakeRejector;
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
}
