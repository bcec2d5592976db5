package dev.berth.registry.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.security.crypto.bcrypt.BCrypt;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Every response reaches the client, wherever it was produced. Responses written from worker threads (bcrypt
 * checks that end in 401, readiness probes that check storage, actuator scrapes) were left without an answer
 * on a kept-alive connection now and then, so a client waiting for it hung; {@link EventLoopResponseFilter}
 * prevents that (without it this test sees about one stall in 20,000 requests). 100,000 requests from the JDK
 * HTTP client (HTTP/1.1, and its default of offering an h2c upgrade), each with a deadline for the whole
 * answer: not one may stall. {@code -Dberth.stress.requests=N} runs a longer soak.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ResponseFlushStressTest {
    static final int REQUESTS = Integer.getInteger("berth.stress.requests", 100_000);
    static final int IN_FLIGHT = 48;
    /** Far above any answer time on a loaded machine; a response that takes this long was lost. */
    static final Duration STALL = Duration.ofSeconds(20);

    @TempDir
    static Path dir;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        Path htpasswd = dir.resolve("htpasswd");
        // Cost 4, the lowest: every wrong password is a real bcrypt check on a worker thread, yet cheap.
        Files.write(htpasswd, List.of("alice:" + BCrypt.hashpw("alice-secret", BCrypt.gensalt(4))));
        registry.add("berth.storage.filesystem.root", () -> dir.resolve("data").toString());
        registry.add("berth.auth.mode", () -> "htpasswd");
        registry.add("berth.auth.htpasswd.path", htpasswd::toString);
        // Every wrong password is checked: no throttling into 429s.
        registry.add("berth.auth.throttle.max-failures", () -> "0");
        registry.add("berth.access-log.enabled", () -> "false");
        registry.add("logging.level.berth.audit", () -> "WARN");
    }

    /** One kind of request and the status it must get. */
    private record Kind(String name, String path, String authorization, int status) {}

    @Test
    void everyResponseProducedOnOrOffTheEventLoopArrives() throws Exception {
        String good = basic("alice", "alice-secret");
        String wrong = basic("alice", "wrong");
        // Weights out of 100: mostly responses produced off the event loop; the costly kinds (bcrypt checks,
        // scrapes) few enough to keep the run short.
        List<Kind> mix = new ArrayList<>();
        add(mix, 45, new Kind("readiness", "/actuator/health/readiness", null, 200));
        add(mix, 10, new Kind("liveness", "/actuator/health/liveness", null, 200));
        add(mix, 20, new Kind("no credentials", "/v2/", null, 401));
        add(mix, 15, new Kind("signed in", "/v2/", good, 200));
        add(mix, 6, new Kind("wrong password", "/v2/", wrong, 401));
        add(mix, 1, new Kind("wrong password on a scrape", "/actuator/prometheus", wrong, 401));
        add(mix, 3, new Kind("scrape", "/actuator/prometheus", good, 200));
        Collections.shuffle(mix, new Random(7));

        List<HttpClient> clients = List.of(
                HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(STALL)
                        .build(),
                HttpClient.newBuilder().connectTimeout(STALL).build());
        Semaphore window = new Semaphore(IN_FLIGHT);
        Map<String, AtomicInteger> stalls = new ConcurrentHashMap<>();
        AtomicLong answered = new AtomicLong();
        Map<String, AtomicInteger> wrongAnswers = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < REQUESTS; i++) {
            Kind kind = mix.get(i % mix.size());
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + kind.path()))
                    .timeout(STALL)
                    .GET();
            if (kind.authorization() != null) {
                request.header("Authorization", kind.authorization());
            }
            window.acquire();
            Progress progress = new Progress();
            // The request timeout ends at the response head; a body or last chunk never flushed needs its own.
            CompletableFuture<HttpResponse<Void>> sent = clients.get(i % 2)
                    .sendAsync(request.build(), progress)
                    .orTimeout(STALL.toMillis(), TimeUnit.MILLISECONDS);
            sent.whenComplete((response, failure) -> {
                try {
                    if (failure != null) {
                        if (unwrap(failure) instanceof HttpTimeoutException
                                || unwrap(failure) instanceof TimeoutException) {
                            stalls.computeIfAbsent(kind.name() + " (" + progress + ")", k -> new AtomicInteger())
                                    .incrementAndGet();
                        } else {
                            wrongAnswers
                                    .computeIfAbsent(kind.name() + ": " + unwrap(failure), k -> new AtomicInteger())
                                    .incrementAndGet();
                        }
                    } else if (response.statusCode() != kind.status()) {
                        wrongAnswers
                                .computeIfAbsent(
                                        kind.name() + ": status " + response.statusCode(), k -> new AtomicInteger())
                                .incrementAndGet();
                    } else {
                        answered.incrementAndGet();
                    }
                } finally {
                    window.release();
                }
            });
        }
        assertThat(window.tryAcquire(IN_FLIGHT, STALL.toSeconds() + 30, TimeUnit.SECONDS))
                .as("all requests ended")
                .isTrue();
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                "%d requests in %.1f s (%.0f/s): %d answered, stalled %s, other failures %s%n",
                REQUESTS, seconds, REQUESTS / seconds, answered.get(), stalls, wrongAnswers);

        assertThat(stalls)
                .as("requests without a whole answer within %s", STALL)
                .isEmpty();
        assertThat(wrongAnswers).as("requests with a wrong answer").isEmpty();
        assertThat(answered.get()).isEqualTo(REQUESTS);
    }

    /** How far a response got: its head, and how many body bytes of how many arrived (for stall reports). */
    private static final class Progress implements HttpResponse.BodyHandler<Void> {
        volatile int status = -1;
        volatile long expected = -1;
        final AtomicLong received = new AtomicLong();

        @Override
        public HttpResponse.BodySubscriber<Void> apply(HttpResponse.ResponseInfo info) {
            status = info.statusCode();
            expected = info.headers().firstValueAsLong("Content-Length").orElse(-1);
            return HttpResponse.BodySubscribers.fromSubscriber(
                    new Flow.Subscriber<List<ByteBuffer>>() {
                        @Override
                        public void onSubscribe(Flow.Subscription subscription) {
                            subscription.request(Long.MAX_VALUE);
                        }

                        @Override
                        public void onNext(List<ByteBuffer> buffers) {
                            buffers.forEach(b -> received.addAndGet(b.remaining()));
                        }

                        @Override
                        public void onError(Throwable throwable) {}

                        @Override
                        public void onComplete() {}
                    },
                    subscriber -> null);
        }

        @Override
        public String toString() {
            return status < 0
                    ? "no response head"
                    : "status " + status + ", body " + received + " of " + (expected < 0 ? "chunked" : expected)
                            + " bytes";
        }
    }

    private static void add(List<Kind> mix, int weight, Kind kind) {
        for (int i = 0; i < weight; i++) {
            mix.add(kind);
        }
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause()
                : failure;
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
