package dev.berth.registry.observe;

import dev.berth.registry.support.LogLine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on logger {@code berth.access} ({@code berth.access-log.enabled}), as {@code key=value}
 * pairs quoted and escaped by {@link LogLine}, e.g.
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
        return new LogLine()
                .add("method", exchange.method())
                .add("path", exchange.path())
                .add("route", exchange.route())
                .add("repository", exchange.repository())
                .add("status", exchange.status() == 0 ? "-" : Integer.toString(exchange.status()))
                .add("aborted", exchange.aborted() ? "true" : null)
                .add("bytes_in", Long.toString(exchange.bytesIn()))
                .add("bytes_out", Long.toString(exchange.bytesOut()))
                .add("duration_ms", Long.toString(exchange.duration().toMillis()))
                .add("remote", exchange.remote())
                .add("user_agent", exchange.userAgent() == null ? "-" : exchange.userAgent())
                .add("user", exchange.user() == null ? "-" : exchange.user())
                .toString();
    }
}
