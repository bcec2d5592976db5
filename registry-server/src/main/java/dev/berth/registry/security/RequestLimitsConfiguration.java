package dev.berth.registry.security;

import dev.berth.registry.http.ConnectionsPerAddress;
import dev.berth.registry.http.RequestHeadTimeout;
import java.time.Duration;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import reactor.netty.ChannelPipelineConfigurer;
import reactor.netty.NettyPipeline;

/**
 * Applies {@code berth.limits.*} to Reactor Netty: request line and header limits in the HTTP decoder (so an
 * oversized request is refused before any of Berth's code runs), and idle, read and request timeouts so that
 * slow or stalled clients cannot hold connections forever: a bound on receiving each request head, and a cap on
 * connections per client address.
 */
@Configuration(proxyBeanMethods = false)
public class RequestLimitsConfiguration {

    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> berthRequestLimits(LimitsProperties limits) {
        return new LimitsCustomizer(limits);
    }

    /**
     * Largest body slice the HTTP decoder passes on. It only splits what one socket read delivered (it never
     * waits to fill a slice), so raising it from Netty's 8 KiB costs no memory; the default cut a 100 MiB blob
     * upload into 12,800 buffers, each handed to the storage pool on its own. Deprecated in Reactor Netty
     * because Netty 5 drops the setting (and with it the slicing).
     */
    static final int BODY_SLICE = 1 << 20;

    /** Ordered last so that its decoder settings replace the ones Boot derives from {@code server.*}. */
    private record LimitsCustomizer(LimitsProperties limits)
            implements WebServerFactoryCustomizer<NettyReactiveWebServerFactory>, Ordered {
        @Override
        @SuppressWarnings("deprecation") // maxChunkSize, see BODY_SLICE
        public void customize(NettyReactiveWebServerFactory factory) {
            factory.addServerCustomizers(server -> {
                var configured = server.httpRequestDecoder(spec -> spec.maxInitialLineLength(
                                        (int) limits.getMaxInitialLineLength().toBytes())
                                .maxHeaderSize((int) limits.getMaxHeaderSize().toBytes())
                                .maxChunkSize(BODY_SLICE))
                        .idleTimeout(limits.getIdleTimeout())
                        .readTimeout(limits.getReadTimeout());
                configured = configured.doOnChannelInit(slowClientGuards());
                return limits.getRequestTimeout() == null
                        ? configured
                        : configured.requestTimeout(limits.getRequestTimeout());
            });
        }

        /** The request-head timeout and the per-address connection cap, on every accepted connection. */
        private ChannelPipelineConfigurer slowClientGuards() {
            Duration headTimeout = limits.getRequestHeadTimeout();
            ConnectionsPerAddress cap = limits.getMaxConnectionsPerAddress() > 0
                    ? new ConnectionsPerAddress(limits.getMaxConnectionsPerAddress())
                    : null;
            return (observer, channel, remote) -> {
                if (cap != null) {
                    cap.admit(channel);
                }
                if (headTimeout != null && !headTimeout.isZero() && !headTimeout.isNegative()) {
                    RequestHeadTimeout.install(channel.pipeline(), NettyPipeline.HttpCodec, headTimeout);
                }
            };
        }

        @Override
        public int getOrder() {
            return Ordered.LOWEST_PRECEDENCE;
        }
    }
}
