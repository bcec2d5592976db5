package dev.berth.registry.security;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Captures what is logged on {@code berth.audit} while open. */
final class AuditCapture implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger("berth.audit");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Level previous = logger.getLevel();

    private AuditCapture() {
        // The build's test logging may be quieter than INFO; audit lines are what is under test here.
        logger.setLevel(Level.INFO);
        appender.start();
        logger.addAppender(appender);
    }

    static AuditCapture start() {
        return new AuditCapture();
    }

    /** The formatted messages so far. */
    List<String> lines() {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.setLevel(previous);
    }
}
