package dev.berth.registry.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Delivery and filtering of one endpoint, without a registry. */
class EndpointSinkTest {

    private static NotificationProperties.Endpoint endpoint(String url) {
        NotificationProperties.Endpoint e = new NotificationProperties.Endpoint();
        e.setName("test");
        e.setUrl(URI.create(url));
        return e;
    }

    private static Event event(String action, String repository, String mediaType) {
        Event.Target target =
                new Event.Target(mediaType, 1L, "sha256:" + "a".repeat(64), 1L, repository, null, null, null, false);
        return new Event(
                "id",
                "2026-01-01T00:00:00Z",
                action,
                target,
                new Event.Request("r", "1.2.3.4", "h", "PUT", "ua"),
                new Event.Actor(null),
                new Event.Source("s", "i"));
    }

    private static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void aFullQueueDropsItsOldestEventsAndCountsThem() throws Exception {
        NotificationProperties.Endpoint config = endpoint("http://127.0.0.1:" + closedPort() + "/events");
        config.setQueueSize(5);
        config.setBackoff(Duration.ofHours(1)); // the first envelope waits for its retry for the whole test
        try (EndpointSink sink = new EndpointSink(config)) {
            sink.offer(event("push", "r", "m"));
            await().atMost(Duration.ofSeconds(10)).until(() -> sink.stats().failedAttempts() > 0);
            assertThat(sink.stats().failedAttempts()).isEqualTo(1);
            for (int i = 0; i < 20; i++) {
                sink.offer(event("push", "r" + i, "m"));
            }
            EndpointSink.Stats stats = sink.stats();
            assertThat(stats.dropped()).isEqualTo(15);
            assertThat(stats.pending()).isEqualTo(6); // five queued, one in the envelope being retried
            assertThat(stats.delivered()).isZero();
        }
    }

    @Test
    void anEnvelopeIsRetriedAfterFailuresAndDeliveredOnce() throws Exception {
        try (Receiver receiver = new Receiver().failFirst(2)) {
            NotificationProperties.Endpoint config = endpoint(receiver.url());
            config.setBackoff(Duration.ofMillis(20));
            try (EndpointSink sink = new EndpointSink(config)) {
                sink.offer(event("push", "retried", "m"));
                assertThat(receiver.await(
                                e -> e.path("target")
                                        .path("repository")
                                        .asString()
                                        .equals("retried"),
                                Duration.ofSeconds(10)))
                        .isNotNull();
                // The sink counts the delivery once the receiver's answer is back, just after the receiver saw it.
                await().atMost(Duration.ofSeconds(5)).until(() -> sink.stats().delivered() > 0);
                assertThat(receiver.requests()).isEqualTo(3);
                assertThat(sink.stats().failedAttempts()).isEqualTo(2);
                assertThat(sink.stats().delivered()).isEqualTo(1);
            }
        }
    }

    @Test
    void backoffDoublesUpToTheMaximum() {
        NotificationProperties.Endpoint config = endpoint("http://127.0.0.1:1/");
        config.setBackoff(Duration.ofMillis(100));
        config.setMaxBackoff(Duration.ofMillis(500));
        try (EndpointSink sink = new EndpointSink(config)) {
            assertThat(List.of(sink.delay(1), sink.delay(2), sink.delay(3), sink.delay(4), sink.delay(10)))
                    .containsExactly(
                            Duration.ofMillis(100),
                            Duration.ofMillis(200),
                            Duration.ofMillis(400),
                            Duration.ofMillis(500),
                            Duration.ofMillis(500));
        }
    }

    @Test
    void filtersByActionRepositoryGlobAndMediaType() {
        NotificationProperties.Endpoint config = endpoint("http://127.0.0.1:1/");
        config.setActions(List.of("push", "DELETE"));
        config.setRepositories(List.of("team/*", "library/**"));
        config.setIgnoredMediaTypes(List.of("application/octet-stream"));
        EndpointFilter filter = EndpointFilter.of(config);
        assertThat(filter.accepts(event("push", "team/app", "m"))).isTrue();
        assertThat(filter.accepts(event("delete", "library/a/b", "m"))).isTrue();
        assertThat(filter.accepts(event("pull", "team/app", "m"))).isFalse();
        assertThat(filter.accepts(event("push", "team/app/sub", "m"))).isFalse();
        assertThat(filter.accepts(event("push", "other", "m"))).isFalse();
        assertThat(filter.accepts(event("push", "team/app", "application/octet-stream")))
                .isFalse();

        config.setActions(List.of("upload"));
        assertThatThrownBy(() -> EndpointFilter.of(config)).hasMessageContaining("unknown action");
    }
}
