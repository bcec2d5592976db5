package dev.berth.puller.registry;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter: attempt n waits about {@code initial * 2^(n-1)}, capped at {@code max}.
 *
 * @param initial     the first delay
 * @param max         the longest delay
 * @param maxAttempts retries allowed before giving up (not counting the first try)
 */
public record Backoff(Duration initial, Duration max, int maxAttempts) {

    public static Backoff defaults() {
        return new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10), 5);
    }

    /** No waiting, a few retries: for tests. */
    public static Backoff fast(int attempts) {
        return new Backoff(Duration.ofMillis(1), Duration.ofMillis(20), attempts);
    }

    public Duration delay(int attempt) {
        long base = initial.toMillis() << Math.min(Math.max(attempt - 1, 0), 20);
        long capped = Math.min(base, max.toMillis());
        // Jitter keeps many nodes that lost the same registry from coming back in lockstep.
        return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
    }

    public void sleep(int attempt) throws InterruptedIOException {
        try {
            Thread.sleep(delay(attempt).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted during backoff");
        }
    }
}
