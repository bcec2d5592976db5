package dev.berth.registry.storage;

import java.io.IOException;
import java.util.concurrent.Callable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Runs blocking storage calls off the event loop. Every handler goes through this one helper, so the pool
 * that absorbs driver latency (disk, S3 round trips) is sized and named in one place.
 */
public final class Blocking {
    private final Scheduler scheduler;

    public Blocking(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** A blocking call that returns a value. */
    @FunctionalInterface
    public interface IoCall<T> {
        T call() throws IOException;
    }

    /** A blocking call without a value. */
    @FunctionalInterface
    public interface IoRun {
        void run() throws IOException;
    }

    /** Subscribes to {@code call} on the storage pool; a {@code null} result completes empty. */
    public <T> Mono<T> call(IoCall<T> call) {
        return Mono.fromCallable((Callable<T>) call::call).subscribeOn(scheduler);
    }

    /** Like {@link #call}, for calls without a result. */
    public Mono<Void> run(IoRun run) {
        return Mono.<Void>fromCallable(() -> {
                    run.run();
                    return null;
                })
                .subscribeOn(scheduler);
    }

    /** The storage pool, for operators such as {@code publishOn} on streamed bodies. */
    public Scheduler scheduler() {
        return scheduler;
    }
}
