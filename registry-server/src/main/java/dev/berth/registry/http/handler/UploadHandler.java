package dev.berth.registry.http.handler;

import dev.berth.oci.Digest;
import dev.berth.oci.DigestAlgorithm;
import dev.berth.oci.ErrorCode;
import dev.berth.oci.InvalidDigestException;
import dev.berth.registry.config.BerthProperties;
import dev.berth.registry.http.RegistryException;
import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.notify.Action;
import dev.berth.registry.notify.Event;
import dev.berth.registry.notify.RegistryEvents;
import dev.berth.registry.security.AuthProperties;
import dev.berth.registry.security.MountRule;
import dev.berth.registry.storage.Blocking;
import dev.berth.registry.upload.UploadException;
import dev.berth.registry.upload.UploadSession;
import dev.berth.registry.upload.UploadSessions;
import dev.berth.registry.upload.UploadWriter;
import java.io.IOException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * Blob uploads: {@code POST /v2/<name>/blobs/uploads/} (session, single-POST upload or cross-mount) and
 * {@code GET|PATCH|PUT|DELETE /v2/<name>/blobs/uploads/<id>}. Bodies are streamed buffer by buffer into the
 * storage writer on the storage pool, hashed on the way, so memory use does not depend on blob size.
 */
@Component
public class UploadHandler {
    /** Body buffers queued between the socket and the storage pool: the bound on memory per request. */
    private static final int BODY_PREFETCH = 4;
    /** {@code Content-Range} of a chunk: inclusive offsets; a {@code bytes} unit prefix is tolerated. */
    private static final Pattern CONTENT_RANGE = Pattern.compile("^(?:bytes[ =])?(\\d{1,18})-(\\d{1,18})$");

    private final UploadSessions sessions;
    private final Blocking blocking;
    private final long chunkMinLength;
    private final RegistryEvents events;
    private final MountRule mountRule;

    public UploadHandler(
            UploadSessions sessions,
            Blocking blocking,
            BerthProperties properties,
            RegistryEvents events,
            AuthProperties auth) {
        this.sessions = sessions;
        this.blocking = blocking;
        this.chunkMinLength = properties.getUploads().getChunkMinLength().toBytes();
        this.events = events;
        this.mountRule = new MountRule(auth.getMode());
    }

    /**
     * POST: starts a session (202), uploads a whole blob ({@code ?digest=}, 201) or mounts one (201; a mount that
     * {@link MountRule} refuses, or that finds no blob, starts a session instead).
     */
    public Mono<ServerResponse> start(ServerRequest request, RegistryRoute route) {
        String name = route.name();
        Optional<String> mount = request.queryParam("mount");
        if (mount.isPresent()) {
            return mount(request, name, digestParam(mount.get()));
        }
        Optional<String> digestParam = request.queryParam("digest");
        if (digestParam.isPresent()) {
            Digest digest = digestParam(digestParam.get());
            // Hash with the digest's own algorithm, so the single POST never needs a second read.
            return blocking.call(() -> sessions.create(name, digest.algorithm()))
                    .flatMap(session -> finish(request, session, digest, null, true));
        }
        return startSession(request, name);
    }

    private Mono<ServerResponse> mount(ServerRequest request, String name, Digest digest) {
        MountRule.Source source = mountRule.source(
                request.attributes(), request.queryParam("from").orElse(null));
        if (source instanceof MountRule.Refused refused) {
            return refuseMount(request, name, refused.reason());
        }
        String from = source instanceof MountRule.FromRepository f ? f.name() : null;
        return blocking.call(() -> from == null ? sessions.mount(name, digest) : sessions.mount(name, digest, from))
                .flatMap(size -> {
                    if (size.isEmpty()) {
                        return from == null
                                ? startSession(request, name)
                                : refuseMount(request, name, "blob not linked in from");
                    }
                    events.publish(request, Action.MOUNT, Event.Target.blob(name, digest, size.getAsLong()));
                    return created(name, digest);
                });
    }

    /** A refused mount is an ordinary upload for the client, and a line in the audit log. */
    private Mono<ServerResponse> refuseMount(ServerRequest request, String name, String reason) {
        request.attributes().put(MountRule.REFUSAL_ATTRIBUTE, reason);
        return startSession(request, name);
    }

    private Mono<ServerResponse> startSession(ServerRequest request, String name) {
        DigestAlgorithm algorithm = request.queryParam("digest-algorithm")
                .map(id -> DigestAlgorithm.fromId(id)
                        .orElseThrow(() ->
                                new RegistryException(ErrorCode.DIGEST_INVALID, "unsupported digest algorithm", id)))
                .orElse(DigestAlgorithm.SHA256);
        return blocking.call(() -> sessions.create(name, algorithm))
                .flatMap(session -> ServerResponse.accepted()
                        .header("Location", session.location())
                        .header("Range", "0-0")
                        .header("Docker-Upload-UUID", session.id())
                        .header("OCI-Chunk-Min-Length", Long.toString(chunkMinLength))
                        .header("Content-Length", "0")
                        .build());
    }

    /** GET: where the upload stands, so a client can resume after a failure or a 416. */
    public Mono<ServerResponse> status(ServerRequest request, RegistryRoute route) {
        return session(route)
                .flatMap(session -> blocking.call(() -> sessions.size(session))
                        .onErrorMap(UploadException.class, e -> toRegistry(e, session))
                        .flatMap(size -> ServerResponse.noContent()
                                .header("Location", session.location())
                                .header("Range", range(size))
                                .header("Docker-Upload-UUID", session.id())
                                .build()));
    }

    /** PATCH: appends one chunk ({@code Content-Range}) or a stream of unknown length. */
    public Mono<ServerResponse> patch(ServerRequest request, RegistryRoute route) {
        ChunkRange range = ChunkRange.parse(request.headers().firstHeader("Content-Range"));
        long declared = request.headers().contentLength().orElse(-1);
        return session(route)
                .flatMap(session -> Mono.usingWhen(
                                blocking.call(() -> sessions.open(session)),
                                upload -> {
                                    checkChunk(upload, range, declared);
                                    return append(upload, request).then(blocking.call(() -> {
                                        sessions.suspend(upload);
                                        checkReceived(upload, range, declared);
                                        return upload.size();
                                    }));
                                },
                                upload -> blocking.run(() -> sessions.suspend(upload)),
                                (upload, error) -> blocking.run(() -> endAfterError(upload, error, false)),
                                upload -> blocking.run(() -> endAfterError(upload, null, false)))
                        .onErrorMap(UploadException.class, e -> toRegistry(e, session))
                        .flatMap(size -> ServerResponse.accepted()
                                .header("Location", session.location())
                                .header("Range", range(size))
                                .header("Docker-Upload-UUID", session.id())
                                .header("Content-Length", "0")
                                .build()));
    }

    /** PUT: appends the optional final chunk, verifies the whole blob and publishes it. */
    public Mono<ServerResponse> put(ServerRequest request, RegistryRoute route) {
        Digest digest = digestParam(request.queryParam("digest").orElse(null));
        ChunkRange range = ChunkRange.parse(request.headers().firstHeader("Content-Range"));
        return session(route).flatMap(session -> finish(request, session, digest, range, false));
    }

    /** DELETE: abandons the upload and frees its storage. */
    public Mono<ServerResponse> cancel(ServerRequest request, RegistryRoute route) {
        return session(route)
                .flatMap(session -> blocking.call(() -> sessions.delete(session)))
                .flatMap(deleted -> deleted
                        ? ServerResponse.noContent().build()
                        : Mono.error(new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, null, route.uploadId())));
    }

    /**
     * Appends the request body (if any) and commits the upload as {@code digest}. A single POST discards its
     * session on any failure: the client never learned its location, so nobody could resume it.
     */
    private Mono<ServerResponse> finish(
            ServerRequest request, UploadSession session, Digest digest, ChunkRange range, boolean discardOnError) {
        long declared = request.headers().contentLength().orElse(-1);
        return Mono.usingWhen(
                        blocking.call(() -> sessions.open(session)),
                        upload -> {
                            checkChunk(upload, range, declared);
                            return append(upload, request)
                                    .then(blocking.call(() -> {
                                        checkReceived(upload, range, declared);
                                        return sessions.complete(upload, digest);
                                    }))
                                    .doOnNext(committed -> events.publish(
                                            request,
                                            Action.PUSH,
                                            Event.Target.blob(session.repository(), committed, upload.size())));
                        },
                        upload -> blocking.run(() -> sessions.suspend(upload)),
                        (upload, error) -> blocking.run(() -> endAfterError(upload, error, discardOnError)),
                        upload -> blocking.run(() -> endAfterError(upload, null, discardOnError)))
                .onErrorMap(UploadException.class, e -> toRegistry(e, session))
                .flatMap(committed -> created(session.repository(), committed));
    }

    /**
     * Streams the body into the upload on the storage pool. {@code publishOn} with a small prefetch is the
     * backpressure: Reactor Netty stops reading the socket while the queue is full, so a 1 GiB PATCH holds
     * at most a few buffers.
     */
    private Mono<Void> append(UploadWriter upload, ServerRequest request) {
        return request.body(BodyExtractors.toDataBuffers())
                .publishOn(blocking.scheduler(), BODY_PREFETCH)
                .<Void>handle((buffer, sink) -> {
                    try {
                        upload.write(buffer);
                    } catch (IOException | RuntimeException e) {
                        sink.error(e);
                    } finally {
                        DataBufferUtils.release(buffer);
                    }
                })
                .doOnDiscard(DataBuffer.class, DataBufferUtils::release)
                .then();
    }

    /** Rejects a chunk before reading it: out of order (416), or too large for the blob limit (413). */
    private void checkChunk(UploadWriter upload, ChunkRange range, long declared) {
        if (range != null && (range.start() != upload.size() || (declared >= 0 && declared != range.length()))) {
            throw new RegistryException(
                            ErrorCode.BLOB_UPLOAD_INVALID,
                            "chunk must start at offset " + upload.size(),
                            range.toString())
                    .withStatus(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE.value())
                    .withHeader("Location", upload.session().location())
                    .withHeader("Range", range(upload.size()))
                    .withHeader("Docker-Upload-UUID", upload.session().id());
        }
        long incoming = declared >= 0 ? declared : range != null ? range.length() : 0;
        if (upload.size() + incoming > sessions.maxBlobSize()) {
            throw new UploadException(
                    ErrorCode.SIZE_EXCEEDED,
                    "blob exceeds the maximum size of " + sessions.maxBlobSize() + " bytes",
                    null);
        }
    }

    /** After the body: the bytes received must be the bytes announced. */
    private static void checkReceived(UploadWriter upload, ChunkRange range, long declared) {
        long expected = declared >= 0 ? declared : range != null ? range.length() : -1;
        if (expected >= 0 && upload.written() != expected) {
            throw new UploadException(
                    ErrorCode.SIZE_INVALID, "received " + upload.written() + " bytes, announced " + expected, null);
        }
    }

    /**
     * A failed or cancelled request ends its hold on the upload. An oversized blob can never complete, and a
     * single POST cannot be resumed, so those discard the session; otherwise the bytes that arrived are kept.
     */
    private void endAfterError(UploadWriter upload, Throwable error, boolean discard) throws IOException {
        boolean tooLarge = error instanceof UploadException ue && ue.code() == ErrorCode.SIZE_EXCEEDED;
        if (discard || tooLarge) {
            sessions.cancel(upload);
        } else {
            sessions.suspendQuietly(upload);
        }
    }

    private Mono<UploadSession> session(RegistryRoute route) {
        return blocking.call(() -> sessions.find(route.name(), route.uploadId()))
                .flatMap(found -> found.map(Mono::just)
                        .orElseGet(() -> Mono.error(
                                new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, null, route.uploadId()))));
    }

    private static Mono<ServerResponse> created(String name, Digest digest) {
        return ServerResponse.status(HttpStatus.CREATED)
                .header("Location", "/v2/" + name + "/blobs/" + digest)
                .header("Docker-Content-Digest", digest.toString())
                .header("Content-Length", "0")
                .build();
    }

    private static RegistryException toRegistry(UploadException e, UploadSession session) {
        RegistryException error = new RegistryException(e.code(), e.getMessage(), e.detail());
        if (e.code() == ErrorCode.BLOB_UPLOAD_INVALID || e.code() == ErrorCode.SIZE_INVALID) {
            error.withHeader("Location", session.location()).withHeader("Docker-Upload-UUID", session.id());
        }
        return error;
    }

    /** A required digest parameter: missing or malformed is DIGEST_INVALID (400), never a 500. */
    private static Digest digestParam(String value) {
        if (value == null || value.isEmpty()) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "digest parameter is required", null);
        }
        try {
            return Digest.parse(value);
        } catch (InvalidDigestException e) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, e.getMessage(), value);
        }
    }

    /** The {@code Range} header of upload responses: inclusive, and {@code 0-0} while nothing arrived. */
    private static String range(long size) {
        return "0-" + Math.max(0, size - 1);
    }

    /** The inclusive byte range a chunk claims to cover. */
    record ChunkRange(long start, long end) {
        /** Parses a {@code Content-Range}; null when absent. Malformed values are answered with 416. */
        static ChunkRange parse(String header) {
            if (header == null || header.isBlank()) {
                return null;
            }
            Matcher m = CONTENT_RANGE.matcher(header.trim());
            if (!m.matches() || Long.parseLong(m.group(1)) > Long.parseLong(m.group(2))) {
                throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "malformed Content-Range", header)
                        .withStatus(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE.value());
            }
            return new ChunkRange(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
        }

        long length() {
            return end - start + 1;
        }

        @Override
        public String toString() {
            return start + "-" + end;
        }
    }
}
