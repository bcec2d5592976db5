package dev.berth.puller.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A small HTTP proxy on loopback, as a user's HTTP_PROXY/HTTPS_PROXY would be: {@code CONNECT host:port}
 * tunnels (for HTTPS) and absolute-URI requests forwarded to the origin (for HTTP), one request per
 * connection. It records every request line it served, so tests can count what went through it.
 */
public final class ForwardProxy implements AutoCloseable {
    private final ServerSocket server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "forward-proxy");
        t.setDaemon(true);
        return t;
    });
    private final List<String> requests = new CopyOnWriteArrayList<>();

    public ForwardProxy() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        pool.submit(this::acceptLoop);
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** Request lines as received: {@code CONNECT 127.0.0.1:5000 HTTP/1.1}, {@code GET http://... HTTP/1.1}. */
    public List<String> requests() {
        return List.copyOf(requests);
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

    private void handle(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            String head = TestProxy.readHead(in);
            if (head == null) {
                return;
            }
            String[] lines = head.split("\r\n");
            String[] requestLine = lines[0].split(" ");
            requests.add(lines[0]);
            OutputStream out = client.getOutputStream();
            if (requestLine[0].equals("CONNECT")) {
                String[] hostPort = requestLine[1].split(":");
                try (Socket upstream = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
                    out.write("HTTP/1.1 200 Connection Established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    pipeBothWays(client, upstream);
                }
                return;
            }
            URI target = URI.create(requestLine[1]);
            try (Socket upstream = new Socket(target.getHost(), target.getPort() < 0 ? 80 : target.getPort())) {
                StringBuilder forwarded = new StringBuilder(requestLine[0])
                        .append(' ')
                        .append(target.getRawPath())
                        .append(target.getRawQuery() == null ? "" : "?" + target.getRawQuery())
                        .append(' ')
                        .append(requestLine[2])
                        .append("\r\n");
                for (int i = 1; i < lines.length; i++) {
                    String lower = lines[i].toLowerCase(java.util.Locale.ROOT);
                    if (!lower.startsWith("connection:") && !lower.startsWith("proxy-connection:")) {
                        forwarded.append(lines[i]).append("\r\n");
                    }
                }
                forwarded.append("Connection: close\r\n\r\n");
                upstream.getOutputStream().write(forwarded.toString().getBytes(StandardCharsets.ISO_8859_1));
                upstream.getOutputStream().flush();
                // The origin closes after its answer (Connection: close); so does this connection.
                upstream.getInputStream().transferTo(out);
                out.flush();
            }
        } catch (IOException ignored) {
            // a client or origin went away
        }
    }

    private void pipeBothWays(Socket a, Socket b) throws IOException {
        var upload = pool.submit(() -> {
            try {
                a.getInputStream().transferTo(b.getOutputStream());
                b.shutdownOutput();
            } catch (IOException ignored) {
                // closed
            }
        });
        try {
            b.getInputStream().transferTo(a.getOutputStream());
        } finally {
            upload.cancel(true);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }
}
