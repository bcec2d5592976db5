package dev.berth.puller.registry;

import dev.berth.oci.Digest;
import dev.berth.oci.ErrorResponse;
import dev.berth.oci.OciJson;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;

/**
 * The one entry point for talking to a registry host. It answers authentication challenges (anonymous,
 * Basic, and Docker's Bearer token flow: {@code GET realm?service=&scope=} and use {@code token} or
 * {@code access_token}), caches the resulting Authorization per repository, retries once with a fresh token
 * after a 401, follows redirects itself (dropping credentials when the host changes) and parses error
 * bodies into {@link RegistryException}. Bodies are streamed, never buffered, except manifests and tokens.
 * Thread-safe. HTTP itself goes through an {@link HttpTransport}.
 *
 * <p>As docker does, a registry on the loopback interface ({@code localhost}, 127.0.0.0/8, {@code ::1}) needs no
 * {@code --plain-http}: HTTPS is tried first and, when the registry answers in plain HTTP, the client switches
 * to HTTP for good.
 */
public final class RegistryClient {
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final String USER_AGENT = "berth-pull/0.1";

    private final String host;
    private volatile String baseUrl;
    private final TransportOptions options;
    private final Optional<Credential> credential;
    private final HttpTransport http;
    /** Authorization header per repository scope; a missing entry means "try anonymously first". */
    private final Map<String, String> authorizations = new ConcurrentHashMap<>();

    private volatile RequestObserver observer = RequestObserver.NONE;

    private RegistryClient(String host, TransportOptions options, Optional<Credential> credential, HttpTransport http) {
        this.host = host;
        this.baseUrl = options.scheme() + "://" + host;
        this.options = options;
        this.credential = credential;
        this.http = http;
    }

    /** A client for {@code host[:port]} with the credential the store holds for it, if any. */
    public static RegistryClient create(String host, TransportOptions options, CredentialStore credentials)
            throws IOException {
        return new RegistryClient(host, options, credentials.find(host), new HttpUrlConnectionTransport(options));
    }

    public String host() {
        return host;
    }

    /** Sees every request this client sends (for metrics and tests that count blob GETs). */
    public void setObserver(RequestObserver observer) {
        this.observer = Objects.requireNonNull(observer);
    }

    /** Fetches a manifest or index by tag or digest. */
    public ManifestResponse pullManifest(String repository, String reference) throws IOException {
        return call(new ManifestPuller(repository, reference));
    }

    /** Opens a blob body from {@code offset}; the caller verifies and closes it. */
    public BlobResponse openBlob(String repository, Digest digest, long offset) throws IOException {
        return call(new BlobPuller(repository, digest, offset));
    }

    /** Reads a small blob (a config) whole, refusing anything over {@code maxBytes}. Not verified here. */
    public byte[] pullSmallBlob(String repository, Digest digest, int maxBytes) throws IOException {
        BlobResponse r = openBlob(repository, digest, 0);
        try (InputStream in = r.body()) {
            byte[] body = in.readNBytes(maxBytes + 1);
            if (body.length > maxBytes) {
                throw new IOException("blob " + digest + " is larger than " + maxBytes + " bytes");
            }
            return body;
        }
    }

    <T> T call(RegistryEndpoint<T> endpoint) throws IOException {
        String scope = "repository:" + endpoint.repository() + ":pull";
        boolean refreshed = false;
        while (true) {
            String authorization = authorizations.get(scope);
            HttpTransport.Response response;
            try {
                response = send(endpoint, endpoint.uri(baseUrl), authorization);
            } catch (PlainHttpException e) {
                if (!fallBackToHttp()) {
                    throw e;
                }
                continue;
            }
            int status = response.status();
            if (status == 401 && !refreshed) {
                List<String> headers = response.allHeaders("WWW-Authenticate");
                discard(response);
                authorizations.put(scope, authorize(AuthChallenge.parse(String.join(", ", headers)), scope));
                refreshed = true;
                continue;
            }
            if (endpoint.accepts(status)) {
                return endpoint.handle(response);
            }
            throw error(endpoint.describe(), response);
        }
    }

    private HttpTransport.Response send(RegistryEndpoint<?> endpoint, URI uri, String authorization)
            throws IOException {
        URI current = uri;
        for (int hop = 0; ; hop++) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("User-Agent", USER_AGENT);
            // Credentials go to the registry only, never to the storage a blob GET redirects to.
            if (authorization != null && sameOrigin(current, uri)) {
                headers.put("Authorization", authorization);
            }
            endpoint.addHeaders(headers);
            observer.requestSent(endpoint.describe(), current);
            HttpTransport.Response r =
                    http.send(HttpTransport.Request.get(current, headers, endpoint.readTimeout(options.readTimeout())));
            int status = r.status();
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                Optional<String> location = r.firstHeader("Location");
                discard(r);
                if (location.isEmpty() || hop >= MAX_REDIRECTS) {
                    throw new IOException(endpoint.describe() + ": bad redirect from " + current);
                }
                current = current.resolve(location.get());
                continue;
            }
            return r;
        }
    }

    /** Switches a loopback registry that answered HTTPS in plain HTTP to HTTP; false when that is not allowed. */
    private synchronized boolean fallBackToHttp() {
        if (options.plainHttp() || !isLoopback(host) || baseUrl.startsWith("http://")) {
            return false;
        }
        baseUrl = "http://" + host;
        return true;
    }

    /** {@code localhost}, 127.0.0.0/8 or ::1, with or without a port: the hosts docker treats as insecure. */
    public static boolean isLoopback(String hostAndPort) {
        String h = hostAndPort;
        if (h.startsWith("[")) {
            h = h.substring(1, Math.max(1, h.indexOf(']')));
        } else if (h.indexOf(':') == h.lastIndexOf(':') && h.indexOf(':') >= 0) {
            h = h.substring(0, h.indexOf(':'));
        }
        h = h.toLowerCase(java.util.Locale.ROOT);
        return h.equals("localhost") || h.equals("::1") || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    /** Chooses a challenge we can answer and returns the Authorization header value for the scope. */
    private String authorize(List<AuthChallenge> challenges, String scope) throws IOException {
        for (AuthChallenge c : challenges) {
            if (c.isBearer() && c.param("realm") != null) {
                return "Bearer " + fetchToken(c, scope);
            }
        }
        for (AuthChallenge c : challenges) {
            if (c.isBasic()) {
                Credential cred = credential
                        .filter(Credential::hasPassword)
                        .orElseThrow(
                                () -> new RegistryException(host + " requires a user name and password", 401, null));
                return cred.basicHeader();
            }
        }
        throw new RegistryException(
                host + " sent 401 without a challenge Berth understands (" + challenges + ")", 401, null);
    }

    /**
     * Docker's token flow. With an identity token it is the OAuth2 refresh-token grant (POST); otherwise a GET,
     * with Basic credentials when configured and anonymously when not.
     */
    private String fetchToken(AuthChallenge c, String scope) throws IOException {
        String service = c.param("service");
        // The challenge may name the scope (e.g. on the first, unscoped request); ours is always needed.
        String challengeScope = c.param("scope");
        StringBuilder query = new StringBuilder();
        if (service != null) {
            query.append("service=").append(enc(service));
        }
        query.append(query.length() > 0 ? "&" : "").append("scope=").append(enc(scope));
        if (challengeScope != null && !challengeScope.equals(scope)) {
            query.append("&scope=").append(enc(challengeScope));
        }
        URI realm = URI.create(c.param("realm"));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("User-Agent", USER_AGENT);
        HttpTransport.Request request;
        if (credential.isPresent() && credential.get().hasIdentityToken()) {
            String form = "grant_type=refresh_token&client_id=berth&refresh_token="
                    + enc(credential.get().identityToken()) + "&" + query;
            headers.put("Content-Type", "application/x-www-form-urlencoded");
            request = new HttpTransport.Request(
                    "POST", realm, headers, form.getBytes(StandardCharsets.UTF_8), options.readTimeout());
        } else {
            credential.filter(Credential::hasPassword).ifPresent(cr -> headers.put("Authorization", cr.basicHeader()));
            request = HttpTransport.Request.get(
                    URI.create(realm + (realm.getQuery() == null ? "?" : "&") + query), headers, options.readTimeout());
        }
        HttpTransport.Response r = http.send(request);
        if (r.status() != 200) {
            throw error("fetch token from " + realm, r);
        }
        JsonNode body;
        try (InputStream in = r.body()) {
            body = OciJson.mapper().readTree(in.readNBytes(MAX_ERROR_BODY));
        }
        for (String field : List.of("token", "access_token")) {
            JsonNode t = body.get(field);
            if (t != null && t.isString() && !t.asString().isEmpty()) {
                return t.asString();
            }
        }
        throw new IOException("token response from " + realm + " has neither token nor access_token");
    }

    private static RegistryException error(String what, HttpTransport.Response r) {
        ErrorResponse body = null;
        try (InputStream in = r.body()) {
            byte[] bytes = in.readNBytes(MAX_ERROR_BODY);
            if (bytes.length > 0) {
                body = OciJson.mapper().readValue(bytes, ErrorResponse.class);
            }
        } catch (IOException | RuntimeException ignored) {
            // Not a spec error body (an HTML page from a proxy, say): the status alone must do.
        }
        return new RegistryException(what, r.status(), body);
    }

    private static void discard(HttpTransport.Response r) {
        try (InputStream in = r.body()) {
            in.readNBytes(MAX_ERROR_BODY);
        } catch (IOException ignored) {
            // Only draining so the connection can be reused.
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme())
                && Objects.equals(a.getHost(), b.getHost())
                && a.getPort() == b.getPort();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Callback for every request sent, including redirect hops. */
    @FunctionalInterface
    public interface RequestObserver {
        RequestObserver NONE = (what, uri) -> {};

        void requestSent(String description, URI uri);
    }
}
