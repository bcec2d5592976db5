package dev.berth.registry.http.handler;

import dev.berth.oci.Digest;
import dev.berth.oci.ErrorCode;
import dev.berth.registry.config.BerthProperties;
import dev.berth.registry.http.RegistryException;
import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.notify.Action;
import dev.berth.registry.notify.Event;
import dev.berth.registry.notify.RegistryEvents;
import dev.berth.registry.observe.CountingExchange;
import dev.berth.registry.storage.BlobStore;
import dev.berth.registry.storage.Blocking;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.storage.RepositoryLinks;
import dev.berth.storage.LocalFileCapable;
import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.RedirectCapable;
import dev.berth.storage.StorageDriver;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslHandler;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServerResponse;

/**
 * {@code GET|HEAD|DELETE /v2/<name>/blobs/<digest>}. A blob is visible through a repository only while the
 * repository links it. Bytes leave by the cheapest way the driver offers: a redirect to the backend, a
 * zero-copy {@code sendfile} of a local file, or else a stream read on the storage pool in 64 KiB buffers.
 */
@Component
public class BlobHandler {
    private static final int STREAM_BUFFER = 64 * 1024;
    /** The least a redirect needs; drivers sign for longer when configured to (berth.storage.s3.redirect-validity). */
    private static final Duration REDIRECT_VALIDITY = Duration.ofMinutes(1);
    /** Blobs are immutable by digest, so caches may keep them for a year. */
    private static final String CACHE_CONTROL = "max-age=31536000";

    private final BlobStore blobs;
    private final RepositoryLinks links;
    private final Blocking blocking;
    private final boolean deleteEnabled;
    private final RegistryEvents events;

    public BlobHandler(
            BlobStore blobs,
            RepositoryLinks links,
            Blocking blocking,
            BerthProperties properties,
            RegistryEvents events) {
        this.blobs = blobs;
        this.links = links;
        this.blocking = blocking;
        this.deleteEnabled = properties.getStorage().getDelete().isEnabled();
        this.events = events;
    }

    public Mono<ServerResponse> get(ServerRequest request, RegistryRoute route) {
        return serve(request, route, true);
    }

    public Mono<ServerResponse> head(ServerRequest request, RegistryRoute route) {
        return serve(request, route, false);
    }

    /** DELETE: unlinks the blob from the repository (the bytes go with garbage collection). */
    public Mono<ServerResponse> delete(ServerRequest request, RegistryRoute route) {
        if (!deleteEnabled) {
            return Mono.error(new RegistryException(ErrorCode.UNSUPPORTED, "blob deletion is disabled", null));
        }
        return blocking.call(() -> links.unlink(route.name(), route.digest()))
                .doOnNext(unlinked -> {
                    if (unlinked) {
                        events.publish(request, Action.DELETE, Event.Target.blob(route.name(), route.digest(), -1));
                    }
                })
                .flatMap(unlinked -> unlinked
                        ? ServerResponse.accepted()
                                .header(HttpHeaders.CONTENT_LENGTH, "0")
                                .build()
                        : Mono.error(blobUnknown(route.digest())));
    }

    /** What storage says about a blob, gathered in one trip to the storage pool. */
    private record Located(long size, Optional<URI> redirect, Optional<Path> file) {}

    private Mono<ServerResponse> serve(ServerRequest request, RegistryRoute route, boolean withBody) {
        Digest digest = route.digest();
        return blocking.call(() -> locate(route.name(), digest, withBody)).flatMap(blob -> {
            if (withBody) {
                events.publish(request, Action.PULL, Event.Target.blob(route.name(), digest, blob.size()));
            }
            if (blob.redirect().isPresent()) {
                return ServerResponse.temporaryRedirect(blob.redirect().get())
                        .header("Docker-Content-Digest", digest.toString())
                        .build();
            }
            String etag = "\"" + digest + "\"";
            if (etag.equals(request.headers().firstHeader(HttpHeaders.IF_NONE_MATCH))) {
                return ServerResponse.status(HttpStatus.NOT_MODIFIED)
                        .header(HttpHeaders.ETAG, etag)
                        .build();
            }
            ByteRange.Result wanted = ByteRange.resolve(request.headers().firstHeader(HttpHeaders.RANGE), blob.size());
            if (wanted instanceof ByteRange.Unsatisfiable) {
                throw new RegistryException(
                                ErrorCode.RANGE_INVALID,
                                "range not satisfiable for a blob of " + blob.size() + " bytes",
                                request.headers().firstHeader(HttpHeaders.RANGE))
                        .withHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + blob.size());
            }
            ByteRange range = wanted instanceof ByteRange.Partial partial ? partial.range() : null;
            long start = range == null ? 0 : range.start();
            long length = range == null ? blob.size() : range.length();
            ServerResponse.BodyBuilder response = ServerResponse.status(
                            range == null ? HttpStatus.OK : HttpStatus.PARTIAL_CONTENT)
                    .contentType(MediaType.APPLICATION_OCTET_STREAM)
                    .contentLength(length)
                    .header("Docker-Content-Digest", digest.toString())
                    .header(HttpHeaders.ETAG, etag)
                    .header(HttpHeaders.ACCEPT_RANGES, "bytes")
                    .header(HttpHeaders.CACHE_CONTROL, CACHE_CONTROL);
            if (range != null) {
                response.header(HttpHeaders.CONTENT_RANGE, range.contentRange(blob.size()));
            }
            if (!withBody) {
                return response.build();
            }
            return response.body(body(request.exchange(), digest, blob.file(), start, length));
        });
    }

    private Located locate(String repository, Digest digest, boolean forGet) throws IOException {
        // Cached answers are safe here: a cached "present" is never a blob that cannot be read (d.b.r.cache).
        if (!links.isLinkedCached(repository, digest)) {
            throw blobUnknown(digest);
        }
        long size = blobs.cachedSize(digest).orElseThrow(() -> blobUnknown(digest));
        StorageDriver driver = blobs.driver();
        String path = RegistryLayout.blobData(digest);
        Optional<URI> redirect = forGet && driver instanceof RedirectCapable r
                ? r.redirectUrl(path, REDIRECT_VALIDITY)
                : Optional.empty();
        Optional<Path> file = forGet && redirect.isEmpty() && driver instanceof LocalFileCapable l
                ? l.localFile(path)
                : Optional.empty();
        return new Located(size, redirect, file);
    }

    /**
     * Opens the blob (on the storage pool) before the status line is committed, so a blob deleted since
     * {@link #locate} (a collector on another replica) is answered 404 rather than a 200 with a truncated body;
     * the open file or stream is what gets sent, so an unlink after the open cannot truncate it either.
     * Zero-copy when the blob is a local file and the connection can take a file region as is (plain HTTP/1.1,
     * no TLS, no compression): the open channel goes out with {@code sendfile}. Otherwise the open stream is
     * read on the storage pool.
     */
    private BodyInserter<Void, ReactiveHttpOutputMessage> body(
            ServerWebExchange exchange, Digest digest, Optional<Path> file, long start, long length) {
        return (message, context) -> {
            Optional<HttpServerResponse> connection = file.isPresent() ? regionCapable(message) : Optional.empty();
            if (connection.isPresent()) {
                return Mono.using(
                                () -> openChannel(file.get(), message, digest),
                                channel -> sendRegion(message, connection.get(), channel, start, length),
                                BlobHandler::closeQuietly)
                        .subscribeOn(blocking.scheduler())
                        // Past the response decorators, so counted here (access log, berth_sent_bytes_total).
                        .doOnSuccess(sent -> CountingExchange.countSent(exchange, length));
            }
            return blocking.call(() -> openStream(message, digest, start, length))
                    .flatMap(in -> message.writeWith(
                            // subscribeOn also moves the downstream's request(n), and so every read, onto the pool.
                            DataBufferUtils.readInputStream(() -> in, message.bufferFactory(), STREAM_BUFFER)
                                    .subscribeOn(blocking.scheduler())));
        };
    }

    private static FileChannel openChannel(Path file, ReactiveHttpOutputMessage message, Digest digest)
            throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException gone) {
            throw vanished(message, digest);
        }
    }

    private InputStream openStream(ReactiveHttpOutputMessage message, Digest digest, long start, long length)
            throws IOException {
        try {
            return new LimitedInputStream(blobs.open(digest, start), length);
        } catch (PathNotFoundException gone) {
            throw vanished(message, digest);
        }
    }

    /**
     * Commits status and headers through Spring (and every response decorator), then writes the open channel
     * to the connection as a file region. Netty releases the region once written, which closes the channel.
     */
    private static Mono<Void> sendRegion(
            ReactiveHttpOutputMessage message,
            HttpServerResponse connection,
            FileChannel channel,
            long start,
            long length) {
        return message.setComplete()
                .then(Mono.defer(() -> connection
                        .sendObject(new DefaultFileRegion(channel, start, length))
                        .then()));
    }

    /**
     * The Reactor Netty response under the decorators, if its connection can send a file region unchanged: not
     * an HTTP/2 stream, no TLS, no compression (the conditions under which Reactor Netty's own {@code sendFile}
     * falls back to chunks).
     */
    private static Optional<HttpServerResponse> regionCapable(ReactiveHttpOutputMessage message) {
        if (message instanceof ServerHttpResponse response
                && ServerHttpResponseDecorator.getNativeResponse(response) instanceof HttpServerResponse netty
                && netty instanceof Connection connection
                && !(connection.channel() instanceof Http2StreamChannel)
                && connection.channel().pipeline().get(SslHandler.class) == null
                && connection.channel().pipeline().get(NettyPipeline.CompressionHandler) == null) {
            return Optional.of(netty);
        }
        return Optional.empty();
    }

    /** The blob went between {@link #locate} and the open: nothing is committed yet, so answer 404 instead. */
    private static RegistryException vanished(ReactiveHttpOutputMessage message, Digest digest) {
        message.getHeaders().clear();
        return blobUnknown(digest);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // a read-only channel: nothing to lose
        }
    }

    private static RegistryException blobUnknown(Digest digest) {
        return new RegistryException(ErrorCode.BLOB_UNKNOWN, null, digest.toString());
    }

    /** Ends after {@code limit} bytes, for ranges that stop before the end of the blob. */
    private static final class LimitedInputStream extends FilterInputStream {
        private long remaining;

        LimitedInputStream(InputStream in, long limit) {
            super(in);
            this.remaining = limit;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }
    }
}
