package dev.berth.registry.security;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Everything under {@code berth.limits.*}: what a single connection or request may cost the server before any
 * handler runs. Blob and manifest size limits live with uploads and manifests.
 */
@ConfigurationProperties("berth.limits")
@Validated
public class LimitsProperties {
    /** Longest request line (method, URL, version); longer ones are refused with 414. */
    @NotNull
    private DataSize maxInitialLineLength = DataSize.ofKilobytes(8);
    /** Largest total size of request headers; larger ones are refused with 431. */
    @NotNull
    private DataSize maxHeaderSize = DataSize.ofKilobytes(16);
    /** A connection with no traffic at all for this long is closed (also ends idle keep-alive connections). */
    @NotNull
    @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
    private Duration idleTimeout = Duration.ofMinutes(2);
    /** Longest pause between two reads while a request body arrives; a stalled upload is cut after it. */
    @NotNull
    @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
    private Duration readTimeout = Duration.ofSeconds(60);
    /**
     * Longest time to receive a whole request, body included; unset by default since a large blob upload
     * legitimately takes long.
     */
    @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
    private Duration requestTimeout;
    /**
     * Longest time from the first byte of a request head (request line and headers) to its end, on every request
     * of a connection; a slower client gets 408 and is closed. Bodies are not counted. 0 turns it off.
     */
    @NotNull
    @DurationMin(seconds = 0, message = "must not be negative (0 turns it off)")
    private Duration requestHeadTimeout = Duration.ofSeconds(10);
    /** Most connections open at once from one client address; more are closed when accepted. 0 turns it off. */
    @Min(value = 0, message = "must be 0 (off) or more")
    private int maxConnectionsPerAddress = 256;

    public DataSize getMaxInitialLineLength() {
        return maxInitialLineLength;
    }

    public void setMaxInitialLineLength(DataSize maxInitialLineLength) {
        this.maxInitialLineLength = maxInitialLineLength;
    }

    public DataSize getMaxHeaderSize() {
        return maxHeaderSize;
    }

    public void setMaxHeaderSize(DataSize maxHeaderSize) {
        this.maxHeaderSize = maxHeaderSize;
    }

    public Duration getIdleTimeout() {
        return idleTimeout;
    }

    public void setIdleTimeout(Duration idleTimeout) {
        this.idleTimeout = idleTimeout;
    }

    public Duration getReadTimeout() {
        return readTimeout;
    }

    public void setReadTimeout(Duration readTimeout) {
        this.readTimeout = readTimeout;
    }

    public Duration getRequestTimeout() {
        return requestTimeout;
    }

    public void setRequestTimeout(Duration requestTimeout) {
        this.requestTimeout = requestTimeout;
    }

    public Duration getRequestHeadTimeout() {
        return requestHeadTimeout;
    }

    public void setRequestHeadTimeout(Duration requestHeadTimeout) {
        this.requestHeadTimeout = requestHeadTimeout;
    }

    public int getMaxConnectionsPerAddress() {
        return maxConnectionsPerAddress;
    }

    public void setMaxConnectionsPerAddress(int maxConnectionsPerAddress) {
        this.maxConnectionsPerAddress = maxConnectionsPerAddress;
    }
}
