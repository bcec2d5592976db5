package dev.berth.registry.proxy;

import dev.berth.oci.MediaTypes;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.util.unit.DataSize;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import org.springframework.web.util.UriComponentsBuilder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One upstream registry, spoken to without blocking (Reactor Netty): manifest and blob requests with the
 * registry auth dance. An unauthenticated attempt that is answered {@code 401} is retried once with what the
 * challenge asks for: Docker's token flow ({@code Bearer realm,service,scope}, anonymous or with the static
 * credentials) or Basic. Tokens are kept per scope until shortly before they expire.
 */
public final class UpstreamClient {
    /** Every manifest type Berth stores, so the upstream never downgrades to schema 1. */
    static final String MANIFEST_ACCEPT = String.join(
            ", ",
            MediaTypes.OCI_INDEX,
            MediaTypes.OCI_MANIFEST,
            MediaTypes.DOCKER_MANIFEST_LIST,
            MediaTypes.DOCKER_MANIFEST);

    private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int TOKEN_RESPONSE_LIMIT = 1 << 20;

    private final String name;
    private final String prefix;
    private final boolean isDefault;
    private final Duration tagTtl;
    private final DataSize maxSize;
    private final URI base;
    private final String basicCredentials;
    private final WebClient web;
    private final Clock clock;
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    /** Set once the upstream asked for Basic: later requests send it at once. */
    private volatile boolean basicWanted;

    private record Token(String value, Instant refreshAt) {}

    /** A response whose body the caller must consume or cancel. */
    public record Response(int status, HttpHeaders headers, Flux<DataBuffer> body) {
        /** Consumes and frees the body. */
        Mono<Void> discard() {
            return body.doOnNext(DataBufferUtils::release).then().onErrorResume(e -> Mono.empty());
        }
    }

    public UpstreamClient(ProxyProperties.Upstream config, Clock clock) {
        this.name = config.getName();
        this.prefix = Upstreams.prefixOf(config);
        this.isDefault = config.isDefault();
        this.tagTtl = config.getTagTtl();
        this.maxSize = config.getMaxSize();
        String url = config.getUrl().toString();
        this.base = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        this.basicCredentials = config.getUsername() == null
                ? null
                : "Basic "
                        + Base64.getEncoder()
                                .encodeToString((config.getUsername() + ":"
                                                + (config.getPassword() == null ? "" : config.getPassword()))
                                        .getBytes(StandardCharsets.UTF_8));
        this.clock = clock;
        HttpClient http = HttpClient.create()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .responseTimeout(Duration.ofSeconds(60))
                // Docker Hub, ghcr.io and quay.io send blobs from a CDN; Reactor Netty drops Authorization
                // when a redirect leaves the host.
                .followRedirect(true);
        if ("https".equals(base.getScheme())) {
            SslContext ssl = sslContext(config);
            http = http.secure(spec -> spec.sslContext(ssl));
        }
        this.web = WebClient.builder()
                .clientConnector(new ReactorClientHttpConnector(http))
                .build();
    }

    private static SslContext sslContext(ProxyProperties.Upstream config) {
        try {
            SslContextBuilder builder = SslContextBuilder.forClient();
            if (config.isInsecure()) {
                builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
            } else if (config.getCaFile() != null) {
                builder.trustManager(config.getCaFile().toFile());
            }
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalStateException(
                    "upstream " + config.getName() + ": cannot set up TLS (" + config.getCaFile() + "): "
                            + e.getMessage(),
                    e);
        }
    }

    public String name() {
        return name;
    }

    public String prefix() {
        return prefix;
    }

    public boolean isDefault() {
        return isDefault;
    }

    public Duration tagTtl() {
        return tagTtl;
    }

    public DataSize maxSize() {
        return maxSize;
    }

    /**
     * {@code GET|HEAD /v2/<repository>/manifests/<reference>}. Answers only 2xx responses; anything else
     * fails with {@link UpstreamException}, the body freed.
     */
    public Mono<Response> manifest(HttpMethod method, String repository, String reference) {
        return send(method, "/v2/" + repository + "/manifests/" + reference, repository, MANIFEST_ACCEPT);
    }

    /** {@code GET|HEAD /v2/<repository>/blobs/<digest>}, like {@link #manifest}. */
    public Mono<Response> blob(HttpMethod method, String repository, String digest) {
        return send(method, "/v2/" + repository + "/blobs/" + digest, repository, "*/*");
    }

    /** A small body (a manifest) joined into one array, failing beyond {@code limit} bytes. */
    static Mono<byte[]> bytes(Flux<DataBuffer> body, int limit) {
        return DataBufferUtils.join(body, limit)
                .map(buffer -> {
                    try {
                        byte[] bytes = new byte[buffer.readableByteCount()];
                        buffer.read(bytes);
                        return bytes;
                    } finally {
                        DataBufferUtils.release(buffer);
                    }
                })
                .defaultIfEmpty(new byte[0]);
    }

    private Mono<Response> send(HttpMethod method, String path, String repository, String accept) {
        String scope = "repository:" + repository + ":pull";
        URI uri = URI.create(base + path);
        return attempt(method, uri, accept, authorization(scope))
                .flatMap(first -> {
                    if (first.status() != 401) {
                        return Mono.just(first);
                    }
                    String challenge = first.headers().getFirst(HttpHeaders.WWW_AUTHENTICATE);
                    return first.discard()
                            .then(authorize(challenge, scope))
                            .flatMap(auth -> attempt(method, uri, accept, auth));
                })
                .flatMap(this::successOnly)
                .onErrorMap(
                        WebClientRequestException.class,
                        e -> UpstreamException.unavailable(
                                name, e.getMostSpecificCause().toString(), e));
    }

    private Mono<Response> attempt(HttpMethod method, URI uri, String accept, String authorization) {
        return web.method(method)
                .uri(uri)
                .headers(h -> {
                    h.set(HttpHeaders.ACCEPT, accept);
                    if (authorization != null) {
                        h.set(HttpHeaders.AUTHORIZATION, authorization);
                    }
                })
                .retrieve()
                .onStatus(status -> true, response -> Mono.empty())
                .toEntityFlux(DataBuffer.class)
                .map(entity -> new Response(
                        entity.getStatusCode().value(),
                        entity.getHeaders(),
                        entity.getBody() == null ? Flux.empty() : entity.getBody()));
    }

    private Mono<Response> successOnly(Response response) {
        int status = response.status();
        if (status >= 200 && status < 300) {
            return Mono.just(response);
        }
        UpstreamException.Kind kind = switch (status) {
            case 404 -> UpstreamException.Kind.NOT_FOUND;
            case 429 -> UpstreamException.Kind.TOO_MANY_REQUESTS;
            case 401, 403 -> UpstreamException.Kind.DENIED;
            default -> UpstreamException.Kind.UNAVAILABLE;
        };
        return response.discard()
                .then(Mono.error(new UpstreamException(
                        kind, name, "answered " + status, response.headers().getFirst(HttpHeaders.RETRY_AFTER), null)));
    }

    /** What to send first: a live token for the scope, Basic once the upstream asked for it, else nothing. */
    private String authorization(String scope) {
        Token token = tokens.get(scope);
        if (token != null && clock.instant().isBefore(token.refreshAt())) {
            return "Bearer " + token.value();
        }
        return basicWanted ? basicCredentials : null;
    }

    /** Answers a challenge: the Authorization header to retry with. */
    private Mono<String> authorize(String challenge, String scope) {
        if (challenge == null) {
            return Mono.error(new UpstreamException(
                    UpstreamException.Kind.DENIED, name, "answered 401 without a challenge", null, null));
        }
        String lower = challenge.trim().toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("basic")) {
            if (basicCredentials == null) {
                return Mono.error(new UpstreamException(
                        UpstreamException.Kind.DENIED, name, "asks for a password and none is configured", null, null));
            }
            basicWanted = true;
            return Mono.just(basicCredentials);
        }
        if (!lower.startsWith("bearer")) {
            return Mono.error(new UpstreamException(
                    UpstreamException.Kind.DENIED, name, "unsupported challenge " + challenge, null, null));
        }
        Map<String, String> params = new HashMap<>();
        Matcher m = CHALLENGE_PARAM.matcher(challenge);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(java.util.Locale.ROOT), m.group(2));
        }
        String realm = params.get("realm");
        if (realm == null) {
            return Mono.error(UpstreamException.unavailable(name, "token challenge without a realm", null));
        }
        return token(realm, params.get("service"), params.getOrDefault("scope", scope))
                .map(token -> {
                    tokens.put(scope, token);
                    return "Bearer " + token.value();
                });
    }

    private Mono<Token> token(String realm, String service, String scope) {
        UriComponentsBuilder uri = UriComponentsBuilder.fromUriString(realm);
        if (service != null) {
            uri.queryParam("service", service);
        }
        uri.queryParam("scope", scope);
        Instant asked = clock.instant();
        return web.get()
                .uri(uri.encode().build().toUri())
                .headers(h -> {
                    if (basicCredentials != null) {
                        h.set(HttpHeaders.AUTHORIZATION, basicCredentials);
                    }
                })
                .retrieve()
                .onStatus(status -> true, response -> Mono.empty())
                .toEntityFlux(DataBuffer.class)
                .flatMap(entity -> {
                    Flux<DataBuffer> body = entity.getBody() == null ? Flux.empty() : entity.getBody();
                    if (!entity.getStatusCode().is2xxSuccessful()) {
                        return new Response(0, entity.getHeaders(), body)
                                .discard()
                                .then(Mono.error(new UpstreamException(
                                        UpstreamException.Kind.DENIED,
                                        name,
                                        "token service " + realm + " answered "
                                                + entity.getStatusCode().value(),
                                        null,
                                        null)));
                    }
                    return bytes(body, TOKEN_RESPONSE_LIMIT).map(json -> parseToken(json, asked));
                })
                .onErrorMap(
                        DataBufferLimitException.class,
                        e -> UpstreamException.unavailable(name, "token response too large", e));
    }

    private Token parseToken(byte[] json, Instant asked) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (RuntimeException e) {
            throw UpstreamException.unavailable(name, "token response is not JSON", e);
        }
        String value = node.path("token").asString("");
        if (value.isEmpty()) {
            value = node.path("access_token").asString("");
        }
        if (value.isEmpty()) {
            throw UpstreamException.unavailable(name, "token response without a token", null);
        }
        // The spec's default lifetime is 60 s; refresh a little early so no request carries an expiring token.
        long lifetime = Math.max(1, node.path("expires_in").asLong(60));
        long margin = Math.min(30, lifetime / 5);
        return new Token(value, asked.plusSeconds(lifetime - margin));
    }
}
