package dev.berth.registry.cache;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.berth.registry.config.BerthProperties;
import dev.berth.registry.config.ConfigurationProblem;
import java.time.Duration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The {@link RegistryCaches} bean, refused at startup when garbage collection could outrun a cached entry. */
@Configuration(proxyBeanMethods = false)
public class CacheConfiguration {

    @Bean
    RegistryCaches registryCaches(CacheProperties cache, BerthProperties properties) {
        if (!cache.isEnabled()) {
            return RegistryCaches.disabled();
        }
        checkSettleDelay(cache.getTtl(), properties.getGc().getSettleDelay());
        return new RegistryCaches(
                cache.getTtl(),
                cache.getMaxEntries(),
                cache.getMaxManifestBytes().toBytes(),
                Ticker.systemTicker());
    }

    /**
     * A cached "present" is safe only because it expires before any collector can delete what it describes
     * (package documentation): the settle delay must be longer than the TTL, on every replica.
     */
    static void checkSettleDelay(Duration ttl, Duration settleDelay) {
        if (settleDelay.compareTo(ttl) <= 0) {
            throw new ConfigurationProblem(
                    "berth.gc.settle-delay",
                    "berth.gc.settle-delay (" + settleDelay
                            + ") must be longer than berth.cache.ttl (" + ttl
                            + "): otherwise a cache could report a blob "
                            + "present after garbage collection deleted it.",
                    "Raise berth.gc.settle-delay, lower " + "berth.cache.ttl, or set berth.cache.enabled=false.");
        }
    }
}
