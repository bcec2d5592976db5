package dev.berth.puller.registry;

import dev.berth.oci.Digest;
import dev.berth.oci.ImageConfig;
import dev.berth.oci.ImageManifest;
import dev.berth.oci.ImageReference;
import dev.berth.oci.Platform;

/**
 * An image resolved for one platform: its manifest and its (verified) config, fetched before any layer so
 * that every layer's DiffID, and so its ChainID, is known up front.
 *
 * @param reference      what the user asked for
 * @param indexDigest    the digest of the index the manifest was chosen from, or null
 * @param manifestDigest the digest of the image manifest
 * @param manifestType   the manifest's media type
 * @param manifest       the image manifest
 * @param configBytes    the config blob as served (its digest is the image ID)
 * @param config         the parsed config
 * @param platform       the platform of the chosen manifest
 */
public record ResolvedImage(
        ImageReference reference,
        Digest indexDigest,
        Digest manifestDigest,
        String manifestType,
        ImageManifest manifest,
        byte[] configBytes,
        ImageConfig config,
        Platform platform) {}
