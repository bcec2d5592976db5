package dev.berth.puller.registry;

import dev.berth.oci.Digest;

/**
 * A manifest as the registry served it: the exact bytes (whose hash is the manifest digest), the media type
 * and the digest computed over those bytes.
 */
public record ManifestResponse(byte[] body, String mediaType, Digest digest) {}
