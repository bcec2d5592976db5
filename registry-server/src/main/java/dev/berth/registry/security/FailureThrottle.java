package dev.berth.registry.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts failed password checks per client address in a fixed window that starts with the first failure. Once
 * an address has reached the maximum, its further attempts are refused (429) without checking them until the
 * window ends. Only password failures count: a bad bearer token cannot be guessed into a good one, and expired
 * tokens are routine.
 */
public class FailureThrottle {
    private final int maxFailures;
    private final Duration window;
    private final Clock clock;
    private final Cache<String, Window> failures;

    private record Window(Instant start, AtomicInteger count) {}

    public FailureThrottle(int maxFailures, Duration window, Clock clock) {
        this.maxFailures = maxFailures;
        this.window = window;
        this.clock = clock;
        this.failures = Caffeine.newBuilder()
                .expireAfterWrite(window)
                .maximumSize(100_000)
                .build();
    }

    /** When the address is blocked, how long until it may try again. */
    public Optional<Duration> blocked(String address) {
        if (maxFailures <= 0) {
            return Optional.empty();
        }
        Window w = failures.getIfPresent(address);
        if (w == null || w.count().get() < maxFailures) {
            return Optional.empty();
        }
        Duration left = Duration.between(clock.instant(), w.start().plus(window));
        return Optional.of(left.isNegative() ? Duration.ZERO : left);
    }

    /** Records one failure from the address. */
    public void failure(String address) {
        if (maxFailures > 0) {
            failures.get(address, a -> new Window(clock.instant(), new AtomicInteger()))
                    .count()
                    .incrementAndGet();
        }
    }

    /** Forgets all failures (tests, and an operator's escape hatch). */
    public void clear() {
        failures.invalidateAll();
    }
}
