package dev.berth.registry.observe;

import dev.berth.registry.storage.Blocking;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import reactor.core.publisher.Mono;

/**
 * The {@code storage} health contributor (part of the readiness group): lists the storage root on the storage
 * pool, which is cheap on every driver. DOWN when that fails (for example {@code StorageUnavailableException})
 * or takes longer than {@code berth.health.storage-timeout}; an empty root ("not found") is UP.
 */
public final class StorageHealthIndicator implements ReactiveHealthIndicator {
    private final StorageDriver driver;
    private final Blocking blocking;
    private final Duration timeout;

    public StorageHealthIndicator(StorageDriver driver, Blocking blocking, Duration timeout) {
        this.driver = driver;
        this.blocking = blocking;
        this.timeout = timeout;
    }

    @Override
    public Mono<Health> health() {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return blocking.call(() -> {
                        try {
                            driver.list("/");
                        } catch (PathNotFoundException e) {
                            // nothing stored yet: storage answered all the same
                        }
                        return true;
                    })
                    .timeout(timeout)
                    .map(ok -> Health.up()
                            .withDetail("driver", driver.name())
                            .withDetail("latencyMillis", (System.nanoTime() - start) / 1_000_000)
                            .build())
                    .onErrorResume(e -> Mono.just(Health.down()
                            .withDetail("driver", driver.name())
                            .withDetail(
                                    "error",
                                    e instanceof TimeoutException
                                            ? "no answer within " + timeout.toMillis() + " ms"
                                            : e.toString())
                            .build()));
        });
    }
}
