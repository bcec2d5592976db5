package dev.berth.registry.http.handler;

import dev.berth.oci.Digest;
import dev.berth.oci.ErrorCode;
import dev.berth.registry.config.BerthProperties;
import dev.berth.registry.http.RegistryException;
import dev.berth.registry.http.RegistryRoute;
import dev.berth.registry.notify.Action;
import dev.berth.registry.notify.Event;
import dev.berth.registry.notify.RegistryEvents;
import dev.berth.registry.storage.BlobStore;
import dev.berth.registry.storage.Blocking;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.storage.RepositoryLinks;
import dev.berth.storage.LocalFileCapable;
import dev.berth.storage.RedirectCapable;
import dev.berth.storage.StorageDriver;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.http.ZeroCopyHttpOutputMessage;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

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

    public BlobHandler(BlobStore blobs, RepositoryLinks links, Blocking blocking, BerthProperties properties,
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
                        ? ServerResponse.accepted().header(HttpHeaders.CONTENT_LENGTH, "0").build()
                        : Mono.error(blobUnknown(route.digest())));
    }

    /** What storage says about a blob, gathered in one trip to the storage pool. */
    private record Located(long size, Optional<URI> redirect, Optional<Path> file) {
    }

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
                return ServerResponse.status(HttpStatus.NOT_MODIFIED).header(HttpHeaders.ETAG, etag).build();
            }
            ByteRange.Result wanted = ByteRange.resolve(request.headers().firstHeader(HttpHeaders.RANGE), blob.size());
            if (wanted instanceof ByteRange.Unsatisfiable) {
                throw new RegistryException(ErrorCode.RANGE_INVALID,
                        "range not satisfiable for a blob of " + blob.size() + " bytes",
                        request.headers().firstHeader(HttpHeaders.RANGE))
                        .withHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + blob.size());
            }
            ByteRange range = wanted instanceof ByteRange.Partial partial ? partial.range() : null;
            long start = range == null ? 0 : range.start();
            long length = range == null ? blob.size() : range.length();
            ServerResponse.BodyBuilder response = ServerResponse.status(range == null ? HttpStatus.OK
                            : HttpStatus.PARTIAL_CONTENT)
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
            return response.body(body(digest, blob.file(), start, length));
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
                ? r.redirectUrl(path, REDIRECT_VALIDITY) : Optional.empty();
        Optional<Path> file = forGet && redirect.isEmpty() && driver instanceof LocalFileCapable l
                ? l.localFile(path) : Optional.empty();
        return new Located(size, redirect, file);
    }

    /**
     * Zero-copy when the blob is a local file and the response can take a file region (Reactor Netty sends it
     * with {@code sendfile} unless TLS or compression is on); otherwise a stream read on the storage pool.
     */
    private BodyInserter<Void, ReactiveHttpOutputMessage> body(Digest digest, Optional<Path> file, long start,
                                                             long length) {
        return (message, context) -> {
            if (file.isPresent() && message instanceof ZeroCopyHttpOutputMessage zeroCopy) {
                return zeroCopy.writeWith(file.get(), start, length);
            }
            return message.writeWith(stream(digest, start, length, message.bufferFactory()));
        };
    }

    private Flux<DataBuffer> stream(Digest digest, long start, long length, DataBufferFactory factory) {
        // subscribeOn also moves the downstream's request(n), and so every blocking read, onto the pool.
        return DataBufferUtils.readInputStream(() -> new LimitedInputStream(blobs.open(digest, start), length),
                        factory, STREAM_BUFFER)
                .subscribeOn(blocking.scheduler());
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
