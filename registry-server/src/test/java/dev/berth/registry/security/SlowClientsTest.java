package dev.berth.registry.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Slowloris defences over real sockets: a request head that dribbles in is cut after
 * {@code berth.limits.request-head-timeout}, on the first request of a connection and on later keep-alive
 * requests alike, while idle time between requests and slow bodies are not; and connections beyond
 * {@code berth.limits.max-connections-per-address} are closed at once while the others stay usable.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SlowClientsTest {
    private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(2);
    private static final int CAP = 6;
    /** Far longer than the head timeout: a connection still open after this was not cut. */
    private static final Duration GENEROUS = Duration.ofSeconds(20);

    private static final ScheduledExecutorService PACER = Executors.newScheduledThreadPool(2);

    @TempDir
    static Path root;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("berth.storage.filesystem.root", () -> root.resolve("data").toString());
        registry.add("berth.limits.request-head-timeout", HEAD_TIMEOUT::toString);
        registry.add("berth.limits.max-connections-per-address", () -> Integer.toString(CAP));
    }

    @AfterAll
    static void stopPacer() {
        PACER.shutdownNow();
    }

    @Test
    void aHeadSentOneByteAtATimeIsCutAfterTheBound() throws Exception {
        try (Socket socket = connect()) {
            long start = System.nanoTime();
            // Without the bound this head would take a minute: each byte restarts the idle and read timers.
            dribble(socket, "GET /v2/ HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + "a".repeat(200) + "\r\n\r\n");
            String answer = readUntilClosed(socket);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(answer).startsWith("HTTP/1.1 408");
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(1)).isLessThan(GENEROUS);
        }
    }

    @Test
    void keptAliveConnectionsAreTimedPerRequestHeadAndNotWhileIdle() throws Exception {
        try (Socket socket = connect()) {
            assertThat(exchange(socket, "GET /v2/ HTTP/1.1\r\nHost: localhost\r\n\r\n"))
                    .startsWith("HTTP/1.1 200");
            // The scenario itself: the connection sits idle between requests for longer than the head bound.
            pause(HEAD_TIMEOUT.plusSeconds(1));
            assertThat(exchange(socket, "GET /v2/ HTTP/1.1\r\nHost: localhost\r\n\r\n"))
                    .startsWith("HTTP/1.1 200");

            // A later head on the same connection is timed again.
            dribble(socket, "GET /v2/ HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + "a".repeat(200) + "\r\n\r\n");
            assertThat(readUntilClosed(socket)).startsWith("HTTP/1.1 408");
        }
    }

    @Test
    void aSlowBodyIsNotCutByTheHeadBound() throws Exception {
        byte[] body = new byte[40];
        String digest = "sha256:"
                + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v2/slow/body/blobs/uploads/?digest=" + digest + " HTTP/1.1\r\nHost: localhost\r\n"
                            + "Content-Type: application/octet-stream\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // 40 bytes at one per 100 ms: the body takes twice the head bound.
            CompletableFuture<Void> sent = pace(out, body, 100);
            assertThat(readResponseHead(socket)).startsWith("HTTP/1.1 201");
            sent.get(GENEROUS.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void connectionsOverThePerAddressCapAreRefusedWhileTheOthersStayOpen() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < CAP; i++) {
                Socket socket = connect();
                held.add(socket);
                assertThat(exchange(socket, "GET /v2/ HTTP/1.1\r\nHost: localhost\r\n\r\n"))
                        .startsWith("HTTP/1.1 200");
            }
            try (Socket over = connect()) {
                try {
                    over.getOutputStream()
                            .write("GET /v2/ HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException alreadyClosed) {
                    // the server may have closed it before the request went out
                }
                assertThat(readUntilClosed(over))
                        .as("answer on a refused connection")
                        .isEmpty();
            }
            for (Socket socket : held) {
                assertThat(exchange(socket, "GET /v2/ HTTP/1.1\r\nHost: localhost\r\n\r\n"))
                        .as("a connection within the cap")
                        .startsWith("HTTP/1.1 200");
            }

            held.remove(0).close();
            // The server notices the close asynchronously; then a new connection fits under the cap again.
            await().atMost(GENEROUS).untilAsserted(() -> {
                try (Socket again = connect()) {
                    assertThat(exchange(again, "GET /v2/ HTTP/1.1\r\nHost: localhost\r\n\r\n"))
                            .startsWith("HTTP/1.1 200");
                }
            });
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout((int) GENEROUS.toMillis());
        return socket;
    }

    /** Sends {@code text} one byte every 200 ms in the background, until done or the server closes. */
    private static CompletableFuture<Void> dribble(Socket socket, String text) throws IOException {
        return pace(socket.getOutputStream(), text.getBytes(StandardCharsets.US_ASCII), 200);
    }

    private static CompletableFuture<Void> pace(OutputStream out, byte[] bytes, long periodMillis) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        int[] next = {0};
        var task = PACER.scheduleAtFixedRate(
                () -> {
                    try {
                        out.write(bytes[next[0]++]);
                        out.flush();
                        if (next[0] == bytes.length) {
                            done.complete(null);
                        }
                    } catch (IOException e) {
                        done.completeExceptionally(e);
                    }
                },
                0,
                periodMillis,
                TimeUnit.MILLISECONDS);
        done.whenComplete((v, e) -> task.cancel(false));
        return done;
    }

    private static void pause(Duration duration) throws InterruptedException {
        CompletableFuture<Void> later = new CompletableFuture<>();
        PACER.schedule(() -> later.complete(null), duration.toMillis(), TimeUnit.MILLISECONDS);
        try {
            later.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends a request without a body and reads its response head and Content-Length body. */
    private static String exchange(Socket socket, String request) throws IOException {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return readResponseHead(socket);
    }

    /** Reads one response's head and body (by Content-Length), leaving the connection at the next response. */
    private static String readResponseHead(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after: " + head.toString(StandardCharsets.US_ASCII));
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.US_ASCII);
        long length = text.lines()
                .filter(l -> l.toLowerCase().startsWith("content-length:"))
                .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).trim()))
                .findFirst()
                .orElse(0);
        in.readNBytes((int) length);
        return text;
    }

    /** Everything the server sends until it closes the connection (a reset counts as closed). */
    private static String readUntilClosed(Socket socket) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try {
            socket.getInputStream().transferTo(all);
        } catch (SocketTimeoutException e) {
            throw new AssertionError(
                    "connection still open after " + GENEROUS + "; received: "
                            + all.toString(StandardCharsets.US_ASCII),
                    e);
        } catch (IOException reset) {
            // closed with unread input pending: the kernel answers with RST
        }
        return all.toString(StandardCharsets.US_ASCII);
    }
}
