package dev.berth.puller.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A loopback HTTP/1.1 reverse proxy in front of the test registry that records every request and can
 * misbehave on purpose: cut a body after n bytes, flip a byte, or answer itself (401 challenges). One
 * request per connection, so every fault is precise.
 */
public final class TestProxy implements AutoCloseable {
    private final ServerSocket server;
    private final String upstream;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-proxy");
        t.setDaemon(true);
        return t;
    });
    private final List<Function<Request, Action>> rules = new CopyOnWriteArrayList<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    public TestProxy(String upstreamHost) throws IOException {
        this.upstream = "http://" + upstreamHost;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        pool.submit(this::acceptLoop);
    }

    public String host() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** A request as received. Header names are lower-cased. */
    public record Request(String method, String path, Map<String, String> headers) {
        public boolean isBlobGet() {
            return method.equals("GET") && path.contains("/blobs/sha256:");
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** What to do with one request. */
    public sealed interface Action {
        Action PASS = new Pass();

        /** Forward and relay faithfully. */
        record Pass() implements Action {}

        /** Forward, but close the connection after {@code bytes} bytes of body. */
        record CutAfter(long bytes) implements Action {}

        /** Forward, but go silent (connection open) after {@code bytes} bytes for {@code millis}. */
        record StallAfter(long bytes, long millis) implements Action {}

        /** Forward, but hold the rest of the body after {@code bytes} bytes until {@code release} opens. */
        record HoldAfter(long bytes, java.util.concurrent.CountDownLatch release) implements Action {}

        /** Forward without the {@code Range} header, as a registry that ignores ranges answers (200, all of it). */
        record IgnoreRange() implements Action {}

        /** Forward, but flip the bits of the body byte at {@code offset}. */
        record CorruptAt(long offset) implements Action {}

        /** Answer without asking upstream. */
        record Respond(int status, Map<String, String> headers, byte[] body) implements Action {}
    }

    /** Rules are consulted in order; the first non-null action wins; none means pass. */
    public void addRule(Function<Request, Action> rule) {
        rules.add(rule);
    }

    public void clearRules() {
        rules.clear();
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public void clearRequests() {
        requests.clear();
    }

    public long blobGets() {
        return requests.stream().filter(Request::isBlobGet).count();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                pool.submit(() -> handle(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            if (head == null) {
                return;
            }
            String[] lines = head.split("\r\n");
            String[] requestLine = lines[0].split(" ");
            Map<String, String> headers = new TreeMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(
                            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).trim());
                }
            }
            byte[] requestBody = new byte[0];
            if (headers.containsKey("content-length")) {
                requestBody = in.readNBytes(Integer.parseInt(headers.get("content-length")));
            }
            Request req = new Request(requestLine[0], requestLine[1], headers);
            requests.add(req);
            Action action = Action.PASS;
            for (Function<Request, Action> rule : rules) {
                Action a = rule.apply(req);
                if (a != null) {
                    action = a;
                    break;
                }
            }
            OutputStream out = socket.getOutputStream();
            if (action instanceof Action.Respond r) {
                writeHead(out, r.status(), r.headers(), r.body().length);
                out.write(r.body());
                out.flush();
                return;
            }
            forward(req, requestBody, action, out);
        } catch (IOException ignored) {
            // The client went away or we cut it on purpose.
        }
    }

    private void forward(Request req, byte[] body, Action action, OutputStream out) throws IOException {
        HttpURLConnection c =
                (HttpURLConnection) URI.create(upstream + req.path()).toURL().openConnection();
        c.setInstanceFollowRedirects(false);
        c.setRequestMethod(req.method());
        for (Map.Entry<String, String> h : req.headers().entrySet()) {
            if (!List.of("host", "connection", "content-length", "transfer-encoding", "accept-encoding")
                            .contains(h.getKey())
                    && !(action instanceof Action.IgnoreRange && h.getKey().equals("range"))) {
                c.setRequestProperty(h.getKey(), h.getValue());
            }
        }
        if (body.length > 0) {
            c.setDoOutput(true);
            c.getOutputStream().write(body);
        }
        int status = c.getResponseCode();
        InputStream upstreamBody = status >= 400 ? c.getErrorStream() : c.getInputStream();
        byte[] all = null;
        long length = c.getContentLengthLong();
        if (length < 0) {
            all = upstreamBody == null ? new byte[0] : upstreamBody.readAllBytes();
            length = all.length;
        }
        Map<String, String> headers = new TreeMap<>();
        c.getHeaderFields().forEach((k, v) -> {
            if (k != null
                    && !List.of("content-length", "transfer-encoding", "connection")
                            .contains(k.toLowerCase(Locale.ROOT))) {
                headers.put(k, String.join(", ", v));
            }
        });
        writeHead(out, status, headers, length);
        if (req.method().equals("HEAD")) {
            out.flush();
            return;
        }
        InputStream src = all != null ? new java.io.ByteArrayInputStream(all) : upstreamBody;
        long limit = action instanceof Action.CutAfter cut
                ? cut.bytes()
                : action instanceof Action.StallAfter st
                        ? st.bytes()
                        : action instanceof Action.HoldAfter hold ? hold.bytes() : Long.MAX_VALUE;
        long corrupt = action instanceof Action.CorruptAt ca ? ca.offset() : -1;
        byte[] buf = new byte[16 * 1024];
        long sent = 0;
        while (sent < limit) {
            int n = src == null ? -1 : src.read(buf, 0, (int) Math.min(buf.length, limit - sent));
            if (n < 0) {
                break;
            }
            if (corrupt >= sent && corrupt < sent + n) {
                buf[(int) (corrupt - sent)] ^= (byte) 0xff;
            }
            out.write(buf, 0, n);
            sent += n;
        }
        out.flush();
        if (action instanceof Action.HoldAfter hold) {
            try {
                if (hold.release().await(5, java.util.concurrent.TimeUnit.MINUTES) && src != null) {
                    src.transferTo(out);
                    out.flush();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (action instanceof Action.StallAfter st) {
            try {
                Thread.sleep(st.millis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (src != null) {
            src.close();
        }
    }

    private static void writeHead(OutputStream out, int status, Map<String, String> headers, long length)
            throws IOException {
        StringBuilder b = new StringBuilder("HTTP/1.1 ")
                .append(status)
                .append(' ')
                .append(reason(status))
                .append("\r\n");
        headers.forEach((k, v) -> b.append(k).append(": ").append(v).append("\r\n"));
        b.append("Content-Length: ").append(length).append("\r\nConnection: close\r\n\r\n");
        out.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 206 -> "Partial Content";
            case 401 -> "Unauthorized";
            case 404 -> "Not Found";
            default -> "Status";
        };
    }

    /** Reads an HTTP request head up to its blank line; null at end of stream. */
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            state = switch (state) {
                case 0, 2 -> c == '\r' ? state + 1 : 0;
                case 1, 3 -> c == '\n' ? state + 1 : (c == '\r' ? 1 : 0);
                default -> 0;
            };
            if (state == 4) {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }
}
