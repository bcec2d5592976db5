package dev.berth.registry.maintenance;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this process accepts writes. Starts as {@code berth.read-only} and is switched at runtime by
 * {@code PUT /admin/read-only}. The switch is per process: replicas sharing storage are switched one by one (or
 * all started with {@code berth.read-only=true}); nothing is stored.
 *
 * <p>While on, every write under {@code /v2} is refused with {@code UNSUPPORTED} (405), as the reference
 * registry's {@code maintenance.readonly} mode does (it simply has no write handlers). Garbage collection still
 * runs: with no pushes in flight, that is when it is safest. Reads continue. Requests already past the check finish normally.
 */
public final class ReadOnlyMode {
    private static final Logger log = LoggerFactory.getLogger(ReadOnlyMode.class);

    private final AtomicBoolean on;

    public ReadOnlyMode(boolean initially) {
        this.on = new AtomicBoolean(initially);
        if (initially) {
            log.info("read-only mode: on (berth.read-only)");
        }
    }

    public boolean isOn() {
        return on.get();
    }

    /** Switches the mode; returns the previous state. */
    public boolean set(boolean readOnly) {
        boolean previous = on.getAndSet(readOnly);
        if (previous != readOnly) {
            log.info("read-only mode: {}", readOnly ? "on" : "off");
        }
        return previous;
    }
}
