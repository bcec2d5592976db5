package dev.berth.registry.observe;

import java.time.Duration;

/**
 * What one finished request did, as {@link ObservingWebFilter} saw it: the input of the request metrics and the
 * access log.
 *
 * @param method     the HTTP method
 * @param path       the path, without the query
 * @param route      a {@code RouteKind} name for {@code /v2} requests ({@code INVALID} when the path is not part
 *                   of the API), else {@code ADMIN}, {@code ACTUATOR} or {@code OTHER}
 * @param repository the repository of a {@code /v2} request, or null
 * @param status     the response status, or 0 when none was set
 * @param aborted    the exchange did not end normally: the client went away, or the response failed after commit
 * @param bytesIn    request body bytes read
 * @param bytesOut   response body bytes handed to the connection (a zero-copy file region counts when sent)
 * @param duration   from the first filter to the end of the response
 * @param remote     the client's address
 * @param userAgent  the {@code User-Agent} header, or null
 * @param user       the authenticated user, or null
 */
public record ExchangeRecord(
        String method,
        String path,
        String route,
        String repository,
        int status,
        boolean aborted,
        long bytesIn,
        long bytesOut,
        Duration duration,
        String remote,
        String userAgent,
        String user) {}
