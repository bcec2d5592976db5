package dev.berth.registry.http.handler;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.oci.ErrorCode;
import dev.berth.oci.ManifestInvalidException;
import dev.berth.oci.ManifestParser;
import dev.berth.oci.Names;
import dev.berth.oci.ParsedManifest;
import dev.berth.registry.config.BerthProperties;
import dev.berth.registry.http.RegistryException;
import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.manifest.Catalog;
import dev.berth.registry.manifest.ManifestService;
import dev.berth.registry.notify.Action;
import dev.berth.registry.notify.Event;
import dev.berth.registry.notify.RegistryEvents;
import dev.berth.registry.storage.Blocking;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * {@code /v2/<name>/manifests/<reference>}: pull (GET, HEAD), push (PUT) and delete manifests by tag or digest.
 * Bodies are served exactly as pushed, with the media type they were pushed as.
 */
@Component
public class ManifestHandler {
    static final String DOCKER_CONTENT_DIGEST = "Docker-Content-Digest";
    static final String OCI_SUBJECT = "OCI-Subject";
    static final String OCI_TAG = "OCI-Tag";

    private final ManifestService service;
    private final Catalog catalog;
    private final Blocking blocking;
    private final BerthProperties properties;
    private final RegistryEvents events;

    public ManifestHandler(
            ManifestService service,
            Catalog catalog,
            Blocking blocking,
            BerthProperties properties,
            RegistryEvents events) {
        this.service = service;
        this.catalog = catalog;
        this.blocking = blocking;
        this.properties = properties;
        this.events = events;
    }

    public Mono<ServerResponse> get(ServerRequest request, RegistryRoute route) {
        return blocking.call(() -> {
                    Descriptor d = find(route);
                    negotiate(request, d);
                    return new Found(d, service.manifests().content(d.digest()));
                })
                .doOnNext(found -> events.publish(request, Action.PULL, pulled(route, found.descriptor())))
                .flatMap(found -> {
                    if (notModified(request, found.descriptor())) {
                        return ServerResponse.status(HttpStatus.NOT_MODIFIED)
                                .headers(h -> identity(h, found.descriptor()))
                                .build();
                    }
                    return ServerResponse.ok()
                            .headers(h -> describe(h, found.descriptor()))
                            .bodyValue(found.body());
                });
    }

    public Mono<ServerResponse> head(ServerRequest request, RegistryRoute route) {
        return blocking.call(() -> {
                    Descriptor d = find(route);
                    negotiate(request, d);
                    return d;
                })
                .flatMap(d -> ServerResponse.ok().headers(h -> describe(h, d)).build());
    }

    public Mono<ServerResponse> put(ServerRequest request, RegistryRoute route) {
        List<String> tags = tagsToSet(request, route, properties.getManifests().getMaxTagsPerPush());
        int max = (int) Math.min(
                Integer.MAX_VALUE, properties.getManifests().getMaxSize().toBytes());
        String contentType = request.headers().firstHeader(HttpHeaders.CONTENT_TYPE);
        return boundedBody(request, max)
                .flatMap(body -> {
                    ParsedManifest parsed = parse(body, contentType);
                    Digest digest = digestOf(body, route);
                    return blocking.call(() -> {
                        List<Digest> missing = service.manifests().missingReferences(route.name(), parsed);
                        if (!missing.isEmpty()) {
                            throw new RegistryException(
                                    ErrorCode.MANIFEST_BLOB_UNKNOWN,
                                    "manifest references " + missing.size() + " blob(s) or manifest(s) unknown to "
                                            + "this repository",
                                    Map.of(
                                            "digests",
                                            missing.stream()
                                                    .map(Digest::toString)
                                                    .toList()));
                        }
                        return service.push(route.name(), body, parsed, digest, tags);
                    });
                })
                .doOnNext(pushed -> events.publishAll(
                        request, Action.PUSH, Event.Target.manifests(route.name(), pushed.descriptor(), pushed.tags())))
                .flatMap(pushed -> ServerResponse.status(HttpStatus.CREATED)
                        .headers(h -> {
                            h.set(
                                    HttpHeaders.LOCATION,
                                    "/v2/" + route.name() + "/manifests/"
                                            + pushed.descriptor().digest());
                            h.set(
                                    DOCKER_CONTENT_DIGEST,
                                    pushed.descriptor().digest().toString());
                            h.setContentLength(0);
                            if (pushed.subject() != null) {
                                // Tells clients the referrers API recorded the subject, so they skip the tag-schema
                                // fallback.
                                h.set(OCI_SUBJECT, pushed.subject().toString());
                            }
                            if (!route.isTag() && !pushed.tags().isEmpty()) {
                                h.set(OCI_TAG, String.join(", ", pushed.tags()));
                            }
                        })
                        .build());
    }

    public Mono<ServerResponse> delete(ServerRequest request, RegistryRoute route) {
        if (!properties.getStorage().getDelete().isEnabled()) {
            return Mono.error(new RegistryException(ErrorCode.UNSUPPORTED, "deletes are disabled", null));
        }
        return blocking.call(() -> {
                    boolean deleted = route.isTag()
                            ? service.tags().untag(route.name(), route.reference())
                            : service.delete(route.name(), route.digest());
                    if (!deleted) {
                        throw unknown(route);
                    }
                    return Boolean.TRUE;
                })
                .doOnNext(ok -> events.publish(request, Action.DELETE, deleted(route)))
                .flatMap(ok -> ServerResponse.accepted()
                        .headers(h -> h.setContentLength(0))
                        .build());
    }

    private record Found(Descriptor descriptor, byte[] body) {}

    /** The target of a delete event: the tag, or the manifest by digest. */
    private static Event.Target deleted(RegistryRoute route) {
        return route.isTag()
                ? Event.Target.tag(route.name(), route.reference())
                : Event.Target.manifest(route.name(), route.digest());
    }

    /** The target of a pull event: by tag when the route names one. */
    private static Event.Target pulled(RegistryRoute route, Descriptor d) {
        return Event.Target.manifest(route.name(), d, route.isTag() ? route.reference() : null);
    }

    /** The manifest the route names, or a 404 that says whether the repository or the manifest is unknown. */
    private Descriptor find(RegistryRoute route) throws IOException {
        Optional<Descriptor> d = service.resolve(route.name(), route.reference(), route.digest());
        if (d.isEmpty()) {
            throw unknown(route);
        }
        return d.get();
    }

    private RegistryException unknown(RegistryRoute route) throws IOException {
        if (!catalog.exists(route.name())) {
            return new RegistryException(ErrorCode.NAME_UNKNOWN, null, Map.of("name", route.name()));
        }
        return new RegistryException(
                ErrorCode.MANIFEST_UNKNOWN, null, Map.of("name", route.name(), "reference", route.reference()));
    }

    /**
     * A client that lists what it accepts, without a wildcard, gets a 404 for other types rather than bytes it
     * cannot parse (as the reference registry does for OCI types). No Accept header means anything goes.
     */
    static void negotiate(ServerRequest request, Descriptor d) {
        List<String> accept = request.headers().header(HttpHeaders.ACCEPT);
        if (accept.isEmpty()) {
            return;
        }
        String stored = d.mediaType().toLowerCase(Locale.ROOT);
        for (String header : accept) {
            for (String range : header.split(",")) {
                String type = ManifestParser.baseType(range);
                if (type.isEmpty() || type.equals("*/*") || type.equals("application/*") || type.equals(stored)) {
                    return;
                }
            }
        }
        throw new RegistryException(
                ErrorCode.MANIFEST_UNKNOWN,
                "manifest is " + d.mediaType() + ", which the Accept header does not list",
                Map.of("digest", d.digest().toString(), "mediaType", d.mediaType()));
    }

    private static boolean notModified(ServerRequest request, Descriptor d) {
        String etag = '"' + d.digest().toString() + '"';
        for (String value : request.headers().header(HttpHeaders.IF_NONE_MATCH)) {
            for (String candidate : value.split(",")) {
                String c = candidate.trim();
                if (c.equals(etag) || c.equals("W/" + etag) || c.equals("*")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void identity(HttpHeaders h, Descriptor d) {
        h.set(DOCKER_CONTENT_DIGEST, d.digest().toString());
        h.setETag('"' + d.digest().toString() + '"');
    }

    private static void describe(HttpHeaders h, Descriptor d) {
        identity(h, d);
        h.setContentType(MediaType.parseMediaType(d.mediaType()));
        h.setContentLength(d.size());
    }

    /**
     * The tags a PUT points at the manifest: the URL's tag, or the {@code tag} parameters of a digest PUT, of
     * which there may be at most {@code max} (each one is a storage write).
     */
    private static List<String> tagsToSet(ServerRequest request, RegistryRoute route, int max) {
        if (route.isTag()) {
            return List.of(route.reference());
        }
        List<String> given = request.queryParams().getOrDefault("tag", List.of());
        if (given.size() > max) {
            throw new RegistryException(
                    ErrorCode.TAG_INVALID,
                    "at most " + max + " tag parameters per manifest PUT",
                    Map.of("tags", given.size(), "max", max));
        }
        Set<String> tags = new LinkedHashSet<>();
        for (String tag : given) {
            if (!Names.isTag(tag)) {
                throw new RegistryException(ErrorCode.TAG_INVALID, "invalid tag", tag);
            }
            tags.add(tag);
        }
        return new ArrayList<>(tags);
    }

    /**
     * The body, refused with 413 once it passes {@code max} bytes: a declared Content-Length is checked before
     * reading, and a chunked body is cut off at the limit rather than buffered whole.
     */
    private static Mono<byte[]> boundedBody(ServerRequest request, int max) {
        long declared = request.headers().contentLength().orElse(-1);
        if (declared > max) {
            return Mono.error(tooLarge(max));
        }
        return DataBufferUtils.join(request.bodyToFlux(DataBuffer.class), max)
                .map(buffer -> {
                    try {
                        byte[] bytes = new byte[buffer.readableByteCount()];
                        buffer.read(bytes);
                        return bytes;
                    } finally {
                        DataBufferUtils.release(buffer);
                    }
                })
                .defaultIfEmpty(new byte[0])
                .onErrorMap(DataBufferLimitException.class, e -> tooLarge(max));
    }

    private static RegistryException tooLarge(int max) {
        // MANIFEST_INVALID is the spec's code for a refused manifest; the status says why.
        return new RegistryException(
                        ErrorCode.MANIFEST_INVALID,
                        "manifest exceeds the size limit of " + max + " bytes",
                        Map.of("limit", max))
                .withStatus(HttpStatus.PAYLOAD_TOO_LARGE.value());
    }

    private static ParsedManifest parse(byte[] body, String contentType) {
        try {
            return ManifestParser.parse(body, contentType);
        } catch (ManifestInvalidException e) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, null, e.getMessage());
        }
    }

    /** The body's digest, in the URL digest's algorithm when there is one; a mismatch is a 400. */
    private static Digest digestOf(byte[] body, RegistryRoute route) {
        if (route.isTag()) {
            return Digest.compute(DigestAlgorithm.SHA256, body);
        }
        Digest actual = Digest.compute(route.digest().algorithm(), body);
        if (!actual.equals(route.digest())) {
            throw new RegistryException(
                    ErrorCode.DIGEST_INVALID,
                    "manifest digest does not match the URL",
                    Map.of("expected", route.digest().toString(), "actual", actual.toString()));
        }
        return actual;
    }
}
