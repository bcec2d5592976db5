package dev.berth.puller.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.berth.oci.Digest;
import dev.berth.puller.store.FsUtil;
import dev.berth.puller.testing.Proc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.Authenticator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HttpURLConnection transport against a raw loopback server that counts connections and bytes: keep-alive
 * after full reads, no reading of the rest after an early close, 401s and redirects handed back untouched,
 * timeouts and interrupts, TLS with a CA file and with --insecure.
 */
class HttpUrlConnectionTransportTest {
    private static final long BIG = 100L * 1024 * 1024;
    private static Path work;

    private RawServer server;

    @BeforeAll
    static void workDir() throws IOException {
        work = Files.createTempDirectory("berth-transport-test");
    }

    @AfterAll
    static void removeWorkDir() throws IOException {
        FsUtil.deleteTree(work);
    }

    @AfterEach
    void stopServer() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private static HttpUrlConnectionTransport transport() {
        return new HttpUrlConnectionTransport(TransportOptions.defaults().withPlainHttp(true));
    }

    private HttpTransport.Response get(HttpTransport t, String path, Duration readTimeout) throws IOException {
        return t.send(HttpTransport.Request.get(server.uri(path), Map.of("User-Agent", "test"), readTimeout));
    }

    @Test
    void fullyReadBodiesLeaveTheConnectionForTheNextRequest() throws IOException {
        server = new RawServer((req, out) -> {
            switch (req.path()) {
                case "/fixed" -> respond(out, 200, Map.of(), "fixed body");
                case "/chunked" -> {
                    out.write(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    + "5\r\nchunk\r\n3\r\ned!\r\n0\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                }
                default ->
                    respond(
                            out,
                            404,
                            Map.of("Content-Type", "application/json"),
                            "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"no\"}]}");
            }
        });
        HttpUrlConnectionTransport t = transport();
        for (String path : List.of("/fixed", "/chunked", "/missing", "/fixed")) {
            try (HttpTransport.Response r = get(t, path, null)) {
                String body = new String(r.body().readAllBytes(), StandardCharsets.UTF_8);
                switch (path) {
                    case "/fixed" -> assertThat(body).isEqualTo("fixed body");
                    case "/chunked" -> assertThat(body).isEqualTo("chunked!");
                    default -> {
                        assertThat(r.status()).isEqualTo(404);
                        assertThat(body).contains("BLOB_UNKNOWN");
                    }
                }
            }
        }
        assertThat(server.requests).hasSize(4);
        assertThat(server.connections.get()).isEqualTo(1);
        // Nothing of HttpURLConnection's own defaults that a registry could trip over.
        assertThat(server.requests.get(0).header("accept")).isEqualTo("*/*");
        assertThat(server.requests.get(0).header("user-agent")).isEqualTo("test");
    }

    @Test
    void closingABigBodyEarlyDoesNotReadTheRest() throws Exception {
        for (boolean chunked : new boolean[] {false, true}) {
            AtomicLong written = new AtomicLong();
            CountDownLatch finished = new CountDownLatch(1);
            server = new RawServer((req, out) -> {
                try {
                    writeBig(out, chunked, written);
                } finally {
                    finished.countDown();
                }
            });
            HttpUrlConnectionTransport t = transport();
            HttpTransport.Response r = get(t, "/big", null);
            assertThat(r.body().readNBytes(1024 * 1024)).hasSize(1024 * 1024);
            long start = System.nanoTime();
            r.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            // The socket was closed under the server's writes: it stopped far from the end.
            assertThat(finished.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(written.get()).as("chunked=" + chunked).isLessThan(BIG / 2);
            server.close();
        }
        server = null;
    }

    @Test
    void unauthorizedIsHandedBackWithItsChallengesAndNoAuthenticatorIsAsked() throws IOException {
        String bearer = "Bearer realm=\"http://127.0.0.1:1/token\",service=\"reg\"";
        String basic = "Basic realm=\"reg\"";
        server = new RawServer((req, out) -> {
            Map<String, String> h = new LinkedHashMap<>();
            h.put("WWW-Authenticate", bearer);
            h.put("www-authenticate", basic);
            respond(out, 401, h, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"auth\"}]}");
        });
        AtomicInteger asked = new AtomicInteger();
        Authenticator.setDefault(new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                asked.incrementAndGet();
                return new PasswordAuthentication("jdk", "secret".toCharArray());
            }
        });
        try {
            HttpUrlConnectionTransport t = transport();
            for (String method : List.of("GET", "POST")) {
                byte[] body = method.equals("POST") ? "grant_type=x".getBytes(StandardCharsets.UTF_8) : null;
                try (HttpTransport.Response r = t.send(new HttpTransport.Request(
                        method, server.uri("/v2/"), Map.of("Authorization", "Bearer stale"), body, null))) {
                    assertThat(r.status()).isEqualTo(401);
                    assertThat(r.allHeaders("WWW-Authenticate")).containsExactly(bearer, basic);
                    assertThat(new String(r.body().readAllBytes(), StandardCharsets.UTF_8))
                            .contains("UNAUTHORIZED");
                }
            }
        } finally {
            Authenticator.setDefault(null);
        }
        assertThat(asked).hasValue(0);
        assertThat(server.requests).hasSize(2);
        assertThat(server.requests)
                .allSatisfy(q -> assertThat(q.header("authorization")).isEqualTo("Bearer stale"));
        assertThat(new String(server.requests.get(1).body(), StandardCharsets.UTF_8))
                .isEqualTo("grant_type=x");
    }

    @Test
    void redirectsAndEmptyErrorsComeBackAsTheyAre() throws IOException {
        server = new RawServer((req, out) -> {
            if (req.path().equals("/moved")) {
                respond(out, 307, Map.of("Location", "/elsewhere"), "");
            } else {
                respond(out, 500, Map.of(), "");
            }
        });
        HttpUrlConnectionTransport t = transport();
        try (HttpTransport.Response r = get(t, "/moved", null)) {
            assertThat(r.status()).isEqualTo(307);
            assertThat(r.firstHeader("location")).hasValue("/elsewhere");
        }
        try (HttpTransport.Response r = get(t, "/broken", null)) {
            assertThat(r.status()).isEqualTo(500);
            assertThat(r.body().readAllBytes()).isEmpty();
        }
        assertThat(server.requests).extracting(RawServer.Request::path).containsExactly("/moved", "/broken");
    }

    @Test
    void stallsAreTimeoutsNotInterruptions() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        server = new RawServer((req, out) -> {
            if (req.path().equals("/slow-head")) {
                await(release);
                return;
            }
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.write(new byte[1000]);
            out.flush();
            await(release);
        });
        try {
            HttpUrlConnectionTransport t = transport();
            assertThatThrownBy(() -> get(t, "/slow-head", Duration.ofMillis(300)))
                    .isInstanceOf(TransportTimeoutException.class)
                    .isNotInstanceOf(InterruptedIOException.class);
            try (HttpTransport.Response r = get(t, "/slow-body", Duration.ofMillis(300))) {
                assertThat(r.body().readNBytes(1000)).hasSize(1000);
                assertThatThrownBy(() -> r.body().read())
                        .isInstanceOf(TransportTimeoutException.class)
                        .hasMessageContaining("stalled");
            }
        } finally {
            release.countDown();
        }
    }

    @Test
    void anInterruptedThreadStopsReading() throws IOException {
        server = new RawServer((req, out) -> writeBig(out, false, new AtomicLong()));
        HttpUrlConnectionTransport t = transport();
        try (HttpTransport.Response r = get(t, "/big", null)) {
            r.body().readNBytes(100_000);
            Thread.currentThread().interrupt();
            assertThatThrownBy(() -> r.body().read(new byte[8192])).isInstanceOf(InterruptedIOException.class);
            assertThatThrownBy(() -> get(t, "/big", null)).isInstanceOf(InterruptedIOException.class);
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void clientFollowsRedirectsItselfAndKeepsCredentialsAtHome() throws IOException {
        byte[] blob = "a small blob".getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.sha256(blob);
        try (RawServer storage =
                new RawServer((req, out) -> respond(out, 200, Map.of(), new String(blob, StandardCharsets.UTF_8)))) {
            server = new RawServer((req, out) -> {
                if (req.header("authorization") == null) {
                    respond(out, 401, Map.of("WWW-Authenticate", "Basic realm=\"reg\""), "");
                } else {
                    respond(
                            out,
                            307,
                            Map.of("Location", storage.uri("/bucket/blob?sig=1").toString()),
                            "");
                }
            });
            CredentialStore creds = host -> Optional.of(Credential.basic("alice", "pw"));
            RegistryClient client = RegistryClient.create(
                    server.host(), TransportOptions.defaults().withPlainHttp(true), creds);
            List<URI> sent = new CopyOnWriteArrayList<>();
            client.setObserver((what, uri) -> sent.add(uri));

            assertThat(client.pullSmallBlob("lib/app", digest, 1000)).isEqualTo(blob);

            assertThat(server.requests).hasSize(2);
            assertThat(server.requests.get(1).header("authorization")).startsWith("Basic ");
            assertThat(storage.requests).hasSize(1);
            assertThat(storage.requests.get(0).path()).isEqualTo("/bucket/blob?sig=1");
            assertThat(storage.requests.get(0).header("authorization")).isNull();
            assertThat(sent).hasSize(3);
        }
    }

    @Test
    void tlsWithACaFileChecksTheHostNameAndInsecureChecksNothing() throws Exception {
        Path good = certificate("good", "ip:127.0.0.1");
        Path wrongHost = certificate("wrong", "dns:registry.invalid");
        for (Path keyStore : List.of(good, wrongHost)) {
            HttpsServer https = httpsServer(keyStore);
            try {
                URI uri = URI.create("https://127.0.0.1:" + https.getAddress().getPort() + "/v2/");
                Path pem = keyStore.resolveSibling(keyStore.getFileName() + ".pem");
                TransportOptions withCa = TransportOptions.defaults().withCaFile(pem);
                if (keyStore == good) {
                    assertThat(status(new HttpUrlConnectionTransport(withCa), uri))
                            .isEqualTo(200);
                } else {
                    assertThatThrownBy(() -> status(new HttpUrlConnectionTransport(withCa), uri))
                            .isInstanceOf(IOException.class);
                }
                // Neither certificate is trusted by the system store.
                assertThatThrownBy(() -> status(new HttpUrlConnectionTransport(TransportOptions.defaults()), uri))
                        .isInstanceOf(IOException.class);
                assertThat(status(
                                new HttpUrlConnectionTransport(
                                        TransportOptions.defaults().withInsecure(true)),
                                uri))
                        .isEqualTo(200);
            } finally {
                https.stop(0);
            }
        }
    }

    private static int status(HttpTransport t, URI uri) throws IOException {
        try (HttpTransport.Response r = t.send(HttpTransport.Request.get(uri, Map.of(), null))) {
            r.body().readAllBytes();
            return r.status();
        }
    }

    /** A self-signed EC certificate with the given subjectAltName: a PKCS12 key store and a PEM beside it. */
    private static Path certificate(String name, String san) throws IOException {
        String keytool =
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Path ks = work.resolve(name + ".p12");
        Proc.check(List.of(
                keytool,
                "-genkeypair",
                "-alias",
                "srv",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=" + name,
                "-ext",
                "SAN=" + san,
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                ks.toString(),
                "-storepass",
                "changeit",
                "-keypass",
                "changeit"));
        Proc.check(List.of(
                keytool,
                "-exportcert",
                "-rfc",
                "-alias",
                "srv",
                "-keystore",
                ks.toString(),
                "-storepass",
                "changeit",
                "-file",
                work.resolve(name + ".p12.pem").toString()));
        return ks;
    }

    private static HttpsServer httpsServer(Path keyStore) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        HttpsServer s = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.setHttpsConfigurator(new HttpsConfigurator(ctx));
        s.createContext("/", ex -> {
            ex.sendResponseHeaders(200, 2);
            ex.getResponseBody().write("{}".getBytes(StandardCharsets.UTF_8));
            ex.close();
        });
        s.start();
        return s;
    }

    private static void respond(OutputStream out, int status, Map<String, String> headers, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder("HTTP/1.1 ").append(status).append(" Status\r\n");
        headers.forEach((k, v) -> b.append(k).append(": ").append(v).append("\r\n"));
        b.append("Content-Length: ").append(bytes.length).append("\r\n\r\n");
        out.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(bytes);
        out.flush();
    }

    /** 100 MiB, counted as written, until done or the client goes away. */
    private static void writeBig(OutputStream out, boolean chunked, AtomicLong written) throws IOException {
        byte[] buf = new byte[64 * 1024];
        Arrays.fill(buf, (byte) 'x');
        out.write(("HTTP/1.1 200 OK\r\n" + (chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + BIG)
                        + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        byte[] chunkHead = (Integer.toHexString(buf.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        for (long sent = 0; sent < BIG; sent += buf.length) {
            if (chunked) {
                out.write(chunkHead);
            }
            out.write(buf);
            if (chunked) {
                out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            written.addAndGet(buf.length);
        }
        if (chunked) {
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        out.flush();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** HTTP/1.1 on a loopback socket, keep-alive included; records requests and counts connections. */
    private static final class RawServer implements AutoCloseable {
        record Request(String method, String path, Map<String, String> headers, byte[] body) {
            String header(String name) {
                return headers.get(name.toLowerCase(Locale.ROOT));
            }
        }

        interface Handler {
            void handle(Request request, OutputStream out) throws IOException;
        }

        final List<Request> requests = new CopyOnWriteArrayList<>();
        final AtomicInteger connections = new AtomicInteger();
        private final ServerSocket socket;
        private final Handler handler;
        private final List<Socket> open = new CopyOnWriteArrayList<>();

        RawServer(Handler handler) throws IOException {
            this.handler = handler;
            this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            daemon(this::acceptLoop);
        }

        String host() {
            return "127.0.0.1:" + socket.getLocalPort();
        }

        URI uri(String path) {
            return URI.create("http://" + host() + path);
        }

        private static void daemon(Runnable r) {
            Thread t = new Thread(r, "raw-server");
            t.setDaemon(true);
            t.start();
        }

        private void acceptLoop() {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    connections.incrementAndGet();
                    open.add(s);
                    daemon(() -> serve(s));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (true) {
                    String head = readHead(in);
                    if (head == null) {
                        return;
                    }
                    String[] lines = head.split("\r\n");
                    String[] requestLine = lines[0].split(" ");
                    Map<String, String> headers = new LinkedHashMap<>();
                    for (int i = 1; i < lines.length; i++) {
                        int colon = lines[i].indexOf(':');
                        if (colon > 0) {
                            headers.put(
                                    lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                                    lines[i].substring(colon + 1).trim());
                        }
                    }
                    String length = headers.get("content-length");
                    byte[] body = length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length));
                    Request req = new Request(requestLine[0], requestLine[1], headers, body);
                    requests.add(req);
                    handler.handle(req, out);
                    out.flush();
                }
            } catch (IOException ignored) {
                // the client went away
            }
        }

        private static String readHead(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            List<Integer> last = new ArrayList<>();
            while (true) {
                int c = in.read();
                if (c < 0) {
                    return null;
                }
                b.write(c);
                last.add(c);
                if (last.size() > 4) {
                    last.remove(0);
                }
                if (last.equals(List.of((int) '\r', (int) '\n', (int) '\r', (int) '\n'))) {
                    return b.toString(StandardCharsets.ISO_8859_1);
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket s : open) {
                s.close();
            }
        }
    }
}
