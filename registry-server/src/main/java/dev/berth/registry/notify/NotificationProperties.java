package dev.berth.registry.notify;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/** {@code berth.notifications.*}: webhook endpoints that receive push, pull, delete and mount events. */
@ConfigurationProperties("berth.notifications")
@Validated
public class NotificationProperties {
    /** The endpoints; none means no events are built at all. */
    private List<@Valid Endpoint> endpoints = new ArrayList<>();
    /** The {@code source.addr} of events; empty for this host's name and {@code server.port}. */
    private String sourceAddr = "";

    public List<Endpoint> getEndpoints() {
        return endpoints;
    }

    public void setEndpoints(List<Endpoint> endpoints) {
        this.endpoints = endpoints;
    }

    public String getSourceAddr() {
        return sourceAddr;
    }

    public void setSourceAddr(String sourceAddr) {
        this.sourceAddr = sourceAddr;
    }

    /** One receiver, with its own queue, delivery thread, retries and filters. */
    public static class Endpoint {
        /** A name for logs and statistics. Required. */
        @NotBlank(message = "must be set: a name for logs and statistics")
        private String name;
        /** Where envelopes are POSTed. Required. */
        @NotNull(message = "must be set: the URL events are POSTed to")
        private URI url;
        /** Extra request headers, e.g. {@code Authorization: [Bearer ...]}. */
        private Map<String, List<String>> headers = new LinkedHashMap<>();
        /** Connect and response timeout of one delivery attempt. */
        @NotNull
        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        private Duration timeout = Duration.ofSeconds(1);
        /**
         * Consecutive failed attempts after which the endpoint counts as failing (logged once, shown in
         * statistics) until a delivery succeeds. Events are retried regardless.
         */
        @Min(value = 1, message = "must be at least 1")
        private int threshold = 5;
        /** Wait after the first failed attempt; doubles with each further failure, up to {@code max-backoff}. */
        @NotNull
        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        private Duration backoff = Duration.ofSeconds(1);
        /** Longest wait between attempts. */
        @NotNull
        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        private Duration maxBackoff = Duration.ofMinutes(1);
        /** Events held while the endpoint is slow or down; when full, the oldest is dropped (and counted). */
        @Min(value = 1, message = "must be at least 1")
        private int queueSize = 1000;
        /** Events whose target has one of these media types are not sent here. */
        private List<String> ignoredMediaTypes = new ArrayList<>();
        /**
         * Repository globs ({@code *} within one path component, {@code **} across them, {@code ?} one
         * character); empty for every repository.
         */
        private List<String> repositories = new ArrayList<>();
        /** Actions to send ({@code push}, {@code pull}, {@code delete}, {@code mount}); empty for all. */
        private List<
                        @NotNull
                        @Pattern(regexp = "push|pull|delete|mount", message = "must be push, pull, delete or mount")
                        String>
                actions = new ArrayList<>();

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public URI getUrl() {
            return url;
        }

        public void setUrl(URI url) {
            this.url = url;
        }

        public Map<String, List<String>> getHeaders() {
            return headers;
        }

        public void setHeaders(Map<String, List<String>> headers) {
            this.headers = headers;
        }

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

        public int getThreshold() {
            return threshold;
        }

        public void setThreshold(int threshold) {
            this.threshold = threshold;
        }

        public Duration getBackoff() {
            return backoff;
        }

        public void setBackoff(Duration backoff) {
            this.backoff = backoff;
        }

        public Duration getMaxBackoff() {
            return maxBackoff;
        }

        public void setMaxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
        }

        public int getQueueSize() {
            return queueSize;
        }

        public void setQueueSize(int queueSize) {
            this.queueSize = queueSize;
        }

        public List<String> getIgnoredMediaTypes() {
            return ignoredMediaTypes;
        }

        public void setIgnoredMediaTypes(List<String> ignoredMediaTypes) {
            this.ignoredMediaTypes = ignoredMediaTypes;
        }

        public List<String> getRepositories() {
            return repositories;
        }

        public void setRepositories(List<String> repositories) {
            this.repositories = repositories;
        }

        public List<String> getActions() {
            return actions;
        }

        public void setActions(List<String> actions) {
            this.actions = actions;
        }
    }
}
