package dev.berth.registry.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
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
 * checks that end in 401, readiness probes that check storage, actuator scrapes) were once left unflushed until
 * the client sent another packet, so a client waiting for its answer hung. 100,000 requests from the JDK HTTP
 * client on keep-alive connections, each with a timeout: not one may stall.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ResponseFlushStressTest {
    static final int REQUESTS = 100_000;
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
    }

    /** One kind of request and the status it must get. */
    private record Kind(String name, String path, String authorization, int status) {
    }

    @Test
    void everyResponseProducedOnOrOffTheEventLoopArrives() throws Exception {
        String good = basic("alice", "alice-secret");
        String wrong = basic("alice", "wrong");
        // Weights out of 20: mostly responses produced off the event loop.
        List<Kind> mix = List.of(
                new Kind("readiness", "/actuator/health/readiness", null, 200),
                new Kind("readiness", "/actuator/health/readiness", null, 200),
                new Kind("readiness", "/actuator/health/readiness", null, 200),
                new Kind("readiness", "/actuator/health/readiness", null, 200),
                new Kind("readiness", "/actuator/health/readiness", null, 200),
                new Kind("readiness", "/actuator/health/readiness", null, 200),
                new Kind("readiness", "/actuator/health/readiness", null, 200),
                new Kind("wrong password", "/v2/", wrong, 401),
                new Kind("wrong password", "/v2/", wrong, 401),
                new Kind("wrong password", "/v2/", wrong, 401),
                new Kind("wrong password on a scrape", "/actuator/prometheus", wrong, 401),
                new Kind("no credentials", "/v2/", null, 401),
                new Kind("no credentials", "/v2/", null, 401),
                new Kind("no credentials", "/v2/", null, 401),
                new Kind("signed in", "/v2/", good, 200),
                new Kind("signed in", "/v2/", good, 200),
                new Kind("signed in", "/v2/", good, 200),
                new Kind("liveness", "/actuator/health/liveness", null, 200),
                new Kind("liveness", "/actuator/health/liveness", null, 200),
                new Kind("scrape", "/actuator/prometheus", good, 200));

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        Semaphore window = new Semaphore(IN_FLIGHT);
        AtomicInteger stalls = new AtomicInteger();
        AtomicLong answered = new AtomicLong();
        Map<String, AtomicInteger> wrongAnswers = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < REQUESTS; i++) {
            Kind kind = mix.get(i % mix.size());
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + kind.path()))
                    .timeout(STALL).GET();
            if (kind.authorization() != null) {
                request.header("Authorization", kind.authorization());
            }
            window.acquire();
            CompletableFuture<HttpResponse<Void>> sent = client.sendAsync(request.build(),
                    HttpResponse.BodyHandlers.discarding());
            sent.whenComplete((response, failure) -> {
                try {
                    if (failure != null) {
                        if (unwrap(failure) instanceof HttpTimeoutException) {
                            stalls.incrementAndGet();
                        } else {
                            wrongAnswers.computeIfAbsent(kind.name() + ": " + unwrap(failure),
                                    k -> new AtomicInteger()).incrementAndGet();
                        }
                    } else if (response.statusCode() != kind.status()) {
                        wrongAnswers.computeIfAbsent(kind.name() + ": status " + response.statusCode(),
                                k -> new AtomicInteger()).incrementAndGet();
                    } else {
                        answered.incrementAndGet();
                    }
                } finally {
                    window.release();
                }
            });
        }
        assertThat(window.tryAcquire(IN_FLIGHT, STALL.toSeconds() + 30, TimeUnit.SECONDS))
                .as("all requests ended").isTrue();
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%d requests in %.1f s (%.0f/s): %d answered, %d stalled, other failures %s%n",
                REQUESTS, seconds, REQUESTS / seconds, answered.get(), stalls.get(), wrongAnswers);

        assertThat(stalls.get()).as("requests without an answer within %s", STALL).isZero();
        assertThat(wrongAnswers).as("requests with a wrong answer").isEmpty();
        assertThat(answered.get()).isEqualTo(REQUESTS);
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
