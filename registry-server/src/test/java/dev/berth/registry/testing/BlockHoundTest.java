package dev.berth.registry.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The detector is on in this module's tests: blocking on a non-blocking thread fails. */
class BlockHoundTest {
    @Test
    void blockingOnANonBlockingThreadFails() {
        Throwable failure = Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return "slept";
                })
                .subscribeOn(Schedulers.parallel())
                .flatMap(slept -> Mono.<Throwable>empty())
                .onErrorResume(Mono::just)
                .block(Duration.ofSeconds(10));
        assertThat(failure).isInstanceOf(BlockingOperationError.class);
    }
}
