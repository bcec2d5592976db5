package dev.berth.registry.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.testing.LogCapture;
import dev.berth.registry.testing.Resp;
import dev.berth.registry.testing.TestHttp;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Control characters sent in requests reach the access log and the audit log only as escapes: no raw ESC, BEL,
 * NUL, DEL, CR, LF, C1 control or line separator, so a client can neither forge a log line nor drive an
 * operator's terminal. (TokenAuthTest feeds them through the token endpoint's {@code scope}.)
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class LogInjectionTest {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** What an attacker would send: colour codes, a bell, NUL, DEL, a forged second line, a Unicode line break. */
    static final String HOSTILE = "\u001b[31m\u0007\u0000\u007f\r\nevent=forged\u2028x";

    static final String ESCAPED = "\"\\x1b[31m\\x07\\x00\\x7f\\r\\nevent=forged\\u2028x\"";

    @TempDir
    static Path dir;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("berth.storage.filesystem.root", () -> dir.resolve("data").toString());
    }

    @LocalServerPort
    int port;

    final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void theAuditLogEscapesWhatTheRequestSent() throws Exception {
        String path = "/v2/logs/mount/blobs/uploads/?mount=sha256:" + "d".repeat(64) + "&from="
                + URLEncoder.encode(HOSTILE, StandardCharsets.UTF_8);
        try (LogCapture audit = LogCapture.start("berth.audit")) {
            Resp r = TestHttp.send(
                    client, "POST", URI.create("http://127.0.0.1:" + port + path), (byte[]) null, TIMEOUT);
            assertThat(r.status()).isEqualTo(202);
            String line = audit.await(l -> l.contains("repository=logs/mount"), TIMEOUT);
            assertThat(line).contains(" mount_from=" + ESCAPED + " ");
            assertClean(line);
        }
    }

    @Test
    void theAccessLogEscapesWhatTheRequestSent() throws Exception {
        // Header bytes are read as ISO-8859-1, and Netty refuses C0 controls and DEL in them (400), so what a
        // client can put in the User-Agent are C1 controls: CSI (0x9b) starts a terminal escape sequence like
        // ESC [, NEL (0x85) is a line break; and a no-break space (0xa0) that looks like a field separator.
        assertThat(rawGet("/v2/", new byte[] {'a', 0x1b, 'b'})).startsWith("HTTP/1.1 400");
        byte[] agent = {'a', (byte) 0x9b, '3', '1', 'm', (byte) 0x85, (byte) 0xa0, 'b'};
        try (LogCapture access = LogCapture.start(AccessLog.LOGGER)) {
            assertThat(rawGet("/v2/", agent)).startsWith("HTTP/1.1 200");
            String line = access.await(l -> l.contains("path=/v2/ "), TIMEOUT);
            assertThat(line).contains(" user_agent=\"a\\x9b31m\\x85\\xa0b\" ");
            assertClean(line);
        }
    }

    static void assertClean(String line) {
        assertThat(line.chars().filter(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029))
                .as(line)
                .isEmpty();
    }

    /** A GET with exactly these User-Agent bytes (the JDK client would refuse them); returns the status line. */
    String rawGet(String path, byte[] userAgent) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            OutputStream out = socket.getOutputStream();
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nUser-Agent: ")
                    .getBytes(StandardCharsets.ISO_8859_1));
            request.write(userAgent);
            request.write("\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.write(request.toByteArray());
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            return response.lines().findFirst().orElse("");
        }
    }
}
