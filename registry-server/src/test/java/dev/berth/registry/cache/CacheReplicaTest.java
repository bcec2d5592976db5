package dev.berth.registry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.berth.oci.Digest;
import dev.berth.registry.RegistryApplication;
import dev.berth.registry.gc.GarbageCollector;
import dev.berth.registry.gc.GcOptions;
import dev.berth.registry.gc.GcReport;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.testing.Resp;
import dev.berth.registry.testing.TempRoots;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Two replicas (two Spring contexts, each with its own driver and caches) over one storage root. One deletes;
 * the other's caches must never report a blob present once it is unreadable, and catch up within the TTL.
 */
class CacheReplicaTest {
    private static final Duration TTL = Duration.ofSeconds(1);
    private static final Duration SETTLE = Duration.ofSeconds(3);
    private static Path root;
    private static ConfigurableApplicationContext a;
    private static ConfigurableApplicationContext b;

    @BeforeAll
    static void start() throws Exception {
        root = TempRoots.create("berth-cache-replicas");
        a = replica();
        b = replica();
    }

    private static ConfigurableApplicationContext replica() {
        // Arguments, not default properties: those rank below application.properties (server.port=5000).
        return new SpringApplicationBuilder(RegistryApplication.class)
                .run(
                        "--server.port=0",
                        "--berth.storage.filesystem.root=" + root,
                        "--spring.main.banner-mode=off",
                        "--berth.cache.ttl=" + TTL.toMillis() + "ms",
                        "--berth.gc.settle-delay=" + SETTLE.toMillis() + "ms");
    }

    @AfterAll
    static void stop() {
        for (ConfigurableApplicationContext c : new ConfigurableApplicationContext[] {a, b}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static TestRegistry client(ConfigurableApplicationContext context) {
        return new TestRegistry(
                ((WebServerApplicationContext) context).getWebServer().getPort());
    }

    /** One poll of replica B: when it started (nanos) and what it answered. */
    private record Poll(long startedAt, String method, int status, boolean fullBody) {}

    @Test
    void aBlobCollectedByAnotherReplicaIsNeverReportedPresentOnceUnreadable() throws Exception {
        TestRegistry onA = client(a);
        TestRegistry onB = client(b);
        byte[] content = ("collect-me-" + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        Digest d = onA.pushBlob("replicas/gc", content);
        String path = "/v2/replicas/gc/blobs/" + d;
        Path data = root.resolve(RegistryLayout.blobData(d).substring(1));
        assertThat(onB.head(path).status()).isEqualTo(200);
        assertThat(onB.head(path).status()).isEqualTo(200); // cached on B

        AtomicBoolean done = new AtomicBoolean();
        AtomicLong goneAt = new AtomicLong(Long.MAX_VALUE);
        Thread watcher = new Thread(() -> {
            while (!done.get() && Files.exists(data)) {
                Thread.onSpinWait();
            }
            goneAt.set(System.nanoTime());
        });
        List<Poll> polls = Collections.synchronizedList(new ArrayList<>());
        Thread poller = new Thread(() -> {
            boolean get = false;
            while (!done.get()) {
                long started = System.nanoTime();
                Resp r = get ? onB.get(path) : onB.head(path);
                polls.add(new Poll(
                        started,
                        get ? "GET" : "HEAD",
                        r.status(),
                        !get || r.status() != 200 || Arrays.equals(r.body(), content)));
                get = !get;
            }
        });
        watcher.start();
        poller.start();
        GcReport report = a.getBean(GarbageCollector.class)
                .run(GcOptions.builder()
                        .gracePeriod(Duration.ZERO)
                        .settleDelay(SETTLE)
                        .uploadTtl(Duration.ofDays(1))
                        .parallelism(2)
                        .batchSize(100)
                        .build());
        // Keep polling until B has been asked at least once after the bytes were gone.
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            synchronized (polls) {
                return !polls.isEmpty() && polls.get(polls.size() - 1).startedAt() > goneAt.get();
            }
        });
        done.set(true);
        poller.join();
        watcher.join();

        assertThat(report.blobsDeleted()).isGreaterThanOrEqualTo(1);
        assertThat(Files.exists(data)).isFalse();
        assertThat(polls).as("B was polled throughout the collection").hasSizeGreaterThan(20);
        for (Poll p : polls) {
            assertThat(p.fullBody())
                    .as("a 200 GET on B serves the whole blob: %s", p)
                    .isTrue();
            if (p.startedAt() > goneAt.get()) {
                assertThat(p.status())
                        .as("%s started after the bytes were deleted", p)
                        .isEqualTo(404);
            }
        }
        assertThat(polls.get(polls.size() - 1).status()).isEqualTo(404);
        assertThat(onB.head(path).status()).isEqualTo(404);
    }

    @Test
    void deletesAndTagMovesOnOneReplicaReachTheOtherWithinTheTtl() throws Exception {
        TestRegistry onA = client(a);
        TestRegistry onB = client(b);
        String repo = "replicas/bound";
        byte[] layer = ("bound-layer-" + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        String first = onA.putManifest(repo, "latest", onA.image(repo, layer));
        String blob = "/v2/" + repo + "/blobs/" + Digest.sha256(layer);
        assertThat(onB.get("/v2/" + repo + "/manifests/latest").header("Docker-Content-Digest"))
                .isEqualTo(first);
        assertThat(onB.head(blob).status()).isEqualTo(200);

        String second = onA.putManifest(
                repo, "latest", onA.image(repo, ("other-" + System.nanoTime()).getBytes(StandardCharsets.UTF_8)));
        assertThat(onA.delete(blob).status()).isEqualTo(202);
        long changed = System.nanoTime();
        // Until the TTL runs out B may still answer from its cache; a 200 for the unlinked blob still serves it.
        while (System.nanoTime() - changed < TTL.toNanos() / 2) {
            Resp r = onB.get(blob);
            if (r.status() == 200) {
                assertThat(r.body()).isEqualTo(layer);
            }
            Thread.sleep(20);
        }
        // Then B follows, once its entries have expired.
        await().atMost(TTL.multipliedBy(5)).untilAsserted(() -> {
            assertThat(onB.get("/v2/" + repo + "/manifests/latest").header("Docker-Content-Digest"))
                    .isEqualTo(second);
            assertThat(onB.head(blob).status()).isEqualTo(404);
        });
    }
}
