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

    /** Ordered last so that its decoder settings replace the ones Boot derives from {@code server.*}. */
    private record LimitsCustomizer(LimitsProperties limits)
            implements WebServerFactoryCustomizer<NettyReactiveWebServerFactory>, Ordered {
        @Override
        public void customize(NettyReactiveWebServerFactory factory) {
            factory.addServerCustomizers(server -> {
                var configured = server.httpRequestDecoder(spec -> spec.maxInitialLineLength(
                                        (int) limits.getMaxInitialLineLength().toBytes())
                                .maxHeaderSize((int) limits.getMaxHeaderSize().toBytes()))
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
