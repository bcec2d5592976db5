package dev.berth.registry.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/**
 * Captures what one logger writes at INFO and above while open. Lines can be awaited: the access log writes its
 * line when the exchange ends, which may be after the client has read the response.
 */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final Level previous;
    private final List<String> lines = new ArrayList<>();
    private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            synchronized (LogCapture.this) {
                lines.add(event.getFormattedMessage());
                LogCapture.this.notifyAll();
            }
        }
    };

    private LogCapture(String name) {
        logger = (Logger) LoggerFactory.getLogger(name);
        previous = logger.getLevel();
        // The build's test logging may be quieter than INFO; these lines are what is under test.
        logger.setLevel(Level.INFO);
        appender.start();
        logger.addAppender(appender);
    }

    /** Starts capturing logger {@code name}, e.g. {@code berth.audit} or {@code berth.access}. */
    public static LogCapture start(String name) {
        return new LogCapture(name);
    }

    /** The formatted messages so far. */
    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /** The first line that matches, waiting for it up to {@code timeout}; fails the test if none comes. */
    public synchronized String await(Predicate<String> match, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (String line : lines) {
                if (match.test(line)) {
                    return line;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no line on " + logger.getName() + " matched; lines: " + lines);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
        logger.setLevel(previous);
    }
}
