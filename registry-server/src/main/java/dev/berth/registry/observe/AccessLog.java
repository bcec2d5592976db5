package dev.berth.registry.observe;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on logger {@code berth.access} ({@code berth.access-log.enabled}), as {@code key=value}
 * pairs (values with spaces, quotes or '=' are quoted), e.g.
 * {@code method=GET path=/v2/team/app/blobs/sha256:... route=BLOB repository=team/app status=200 bytes_in=0
 * bytes_out=52428800 duration_ms=412 remote=10.0.0.7 user_agent="containerd/1.7" user=alice}.
 * {@code user} is {@code -} for anonymous requests; {@code aborted=true} marks a request that did not end
 * normally. Actuator requests (health probes, scrapes) are logged at DEBUG only.
 */
public final class AccessLog implements ExchangeListener {
    static final String LOGGER = "berth.access";
    private static final Logger access = LoggerFactory.getLogger(LOGGER);

    @Override
    public void finished(ExchangeRecord exchange) {
        boolean quiet = exchange.route().equals("ACTUATOR");
        if (quiet ? !access.isDebugEnabled() : !access.isInfoEnabled()) {
            return;
        }
        String line = line(exchange);
        if (quiet) {
            access.debug(line);
        } else {
            access.info(line);
        }
    }

    static String line(ExchangeRecord exchange) {
        StringBuilder line = new StringBuilder(256);
        append(line, "method", exchange.method());
        append(line, "path", exchange.path());
        append(line, "route", exchange.route());
        append(line, "repository", exchange.repository());
        append(line, "status", exchange.status() == 0 ? "-" : Integer.toString(exchange.status()));
        if (exchange.aborted()) {
            append(line, "aborted", "true");
        }
        append(line, "bytes_in", Long.toString(exchange.bytesIn()));
        append(line, "bytes_out", Long.toString(exchange.bytesOut()));
        append(line, "duration_ms", Long.toString(exchange.duration().toMillis()));
        append(line, "remote", exchange.remote());
        append(line, "user_agent", exchange.userAgent() == null ? "-" : exchange.userAgent());
        append(line, "user", exchange.user() == null ? "-" : exchange.user());
        return line.toString();
    }

    private static void append(StringBuilder line, String key, String value) {
        if (value == null) {
            return;
        }
        if (!line.isEmpty()) {
            line.append(' ');
        }
        line.append(key).append('=');
        if (value.isEmpty() || value.chars().anyMatch(c -> c == ' ' || c == '"' || c == '=' || c < 0x20 || c == 0x7f)) {
            line.append('"').append(value.replace("\\", "\\\\").replace("\"", "\\\"")
                    .replaceAll("[\\x00-\\x1f\\x7f]", "?")).append('"');
        } else {
            line.append(value);
        }
    }
}
