package dev.berth.puller.registry;

import java.io.InputStream;

/**
 * An open blob body. {@code offset} is where the body starts within the blob: the requested offset when the
 * registry honoured the {@code Range} (206), zero when it sent the whole blob (200).
 *
 * @param body          the body stream; the caller closes it
 * @param offset        position of the body's first byte in the blob
 * @param contentLength bytes in this body, or -1 when not announced
 */
public record BlobResponse(InputStream body, long offset, long contentLength) {}
