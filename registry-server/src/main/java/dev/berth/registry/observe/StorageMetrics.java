package dev.berth.registry.observe;

import dev.berth.storage.StorageStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The storage decorator's counters ({@link StorageStats}), polled at scrape time and tagged with the driver's
 * name and the {@code operation}:
 *
 * <ul>
 *   <li>{@code berth.storage.operations} (function timer; {@code berth_storage_operations_seconds_count|sum}):
 *       calls and time spent in the driver;</li>
 *   <li>{@code berth.storage.errors} ({@code berth_storage_errors_total}): failed calls ("not found" is an
 *       answer, not an error);</li>
 *   <li>{@code berth.storage.read} and {@code berth.storage.written} ({@code berth_storage_read_bytes_total},
 *       {@code berth_storage_written_bytes_total}).</li>
 * </ul>
 */
public final class StorageMetrics implements MeterBinder {
    private final StorageStats stats;
    private final String driver;

    public StorageMetrics(StorageStats stats, String driver) {
        this.stats = stats;
        this.driver = driver;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (StorageStats.Operation operation : StorageStats.Operation.values()) {
            String name = operation.name().toLowerCase(Locale.ROOT);
            FunctionTimer.builder(
                            "berth.storage.operations",
                            stats,
                            s -> s.calls(operation),
                            s -> s.totalTimeNanos(operation),
                            TimeUnit.NANOSECONDS)
                    .description("Storage driver calls and the time spent in them")
                    .tags("driver", driver, "operation", name)
                    .register(registry);
            FunctionCounter.builder("berth.storage.errors", stats, s -> s.errors(operation))
                    .description("Storage driver calls that failed")
                    .tags("driver", driver, "operation", name)
                    .register(registry);
        }
        FunctionCounter.builder("berth.storage.read", stats, StorageStats::bytesRead)
                .description("Bytes read from storage")
                .baseUnit("bytes")
                .tag("driver", driver)
                .register(registry);
        FunctionCounter.builder("berth.storage.written", stats, StorageStats::bytesWritten)
                .description("Bytes written to storage")
                .baseUnit("bytes")
                .tag("driver", driver)
                .register(registry);
    }
}
