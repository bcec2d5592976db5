package dev.berth.registry.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.registry.blob.BlobApiSupport;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** A TLS handshake on the plain-HTTP port is answered and closed at once, never left to time out. */
class TlsHandshakeRejectorTest extends BlobApiSupport {

    /** The start of a TLS 1.2 ClientHello record: no line end anywhere, so an HTTP decoder would wait. */
    private static final byte[] CLIENT_HELLO_PREFIX = {
        0x16,
        0x03,
        0x01,
        0x00,
        (byte) 0xa5,
        0x01,
        0x00,
        0x00,
        (byte) 0xa1,
        0x03,
        0x03,
        0x5b,
        0x12,
        0x7f,
        0x33,
        0x21,
        0x44,
        0x55,
        0x66,
        0x77,
        0x11,
        0x22,
        0x33,
        0x44,
        0x55,
        0x66,
        0x77,
        0x01,
        0x02,
        0x03,
        0x04,
        0x05,
        0x06,
        0x07,
        0x08,
        0x09,
        0x0b,
        0x0c,
        0x0e,
        0x0f,
        0x10,
        0x11,
        0x12,
        0x13
    };

    @Test
    void handshakeIsAnsweredWithHttp400AndClosed() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            // Without the rejector the server would wait for a line end and the read would time out.
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(CLIENT_HELLO_PREFIX);
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII); // until the server closes
            assertThat(answer).startsWith("HTTP/1.0 400 Bad Request\r\n");
        }
    }

    @Test
    void aRealTlsClientFailsFast() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new TrustAll()}, null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            // Fails on the server's answer, not with a read timeout (a SocketTimeoutException, not an SSLException).
            socket.setSoTimeout(10_000);
            assertThatThrownBy(socket::startHandshake).isInstanceOf(SSLException.class);
        }
    }

    @Test
    void plainHttpStillWorksOnTheSamePort() {
        assertThat(get("/v2/").status()).isIn(200, 401);
    }

    /** Go's TLS-first-then-HTTP fallback, end to end, when skopeo is installed. */
    @Test
    void skopeoFallsBackToHttpWithoutStalling() throws Exception {
        Path skopeo = Path.of("/usr/bin/skopeo");
        Assumptions.assumeTrue(Files.isExecutable(skopeo), "skopeo not installed");
        long start = System.nanoTime();
        Process process = new ProcessBuilder(
                        skopeo.toString(),
                        "inspect",
                        "--tls-verify=false",
                        "--raw",
                        "docker://127.0.0.1:" + port + "/tls/probe:latest")
                .redirectErrorStream(true)
                .start();
        boolean done = process.waitFor(20, TimeUnit.SECONDS);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.destroyForcibly();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(done).as("skopeo finished: %s", output).isTrue();
        System.out.println("skopeo (" + millis + " ms): " + output);
        // The image does not exist; what matters is that skopeo's ping fell back to HTTP and succeeded, quickly.
        assertThat(output).doesNotContainIgnoringCase("timeout").doesNotContain("pinging container registry");
        assertThat(millis).as("skopeo took %d ms: %s", millis, output).isLessThan(5000);
    }

    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

        @Override
        public java.security.cert.X509Certificate[] getAcceptedIssuers() {
            return new java.security.cert.X509Certificate[0];
        }
    }
}
