package dev.berth.registry.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.resources.LoopResources;

/** The detector is on in this module's tests: blocking on a non-blocking thread (Reactor's, the server's event loops) fails. */
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

    @Test
    void readingAFileOnANonBlockingThreadFails(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "x");
        Throwable failure = Mono.fromCallable(() -> Files.readString(file))
                .subscribeOn(Schedulers.parallel())
                .flatMap(read -> Mono.<Throwable>empty())
                .onErrorResume(Mono::just)
                .block(Duration.ofSeconds(10));
        assertThat(failure).isInstanceOf(BlockingOperationError.class);
    }

    @Test
    void blockingOnAReactorNettyEventLoopFails() throws Exception {
        LoopResources loops = LoopResources.create("blockhound-test", 1, true);
        try {
            Future<?> slept = loops.onServer(true).submit(() -> {
                Thread.sleep(1);
                return null;
            });
            assertThatThrownBy(slept::get)
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(BlockingOperationError.class);
        } finally {
            loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
        }
    }
}
