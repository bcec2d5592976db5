package dev.berth.puller.store;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.berth.oci.Digest;

/**
 * What the store knows of a committed layer ({@code layer.json}).
 *
 * @param chainId   the key: this layer and everything below it
 * @param diffId    digest of the uncompressed tar
 * @param parent    the ChainID of the layer below, null for a base layer
 * @param blob      digest of the blob it was pulled from
 * @param mediaType the blob's media type
 * @param blobSize  the blob's size
 * @param diskSize  bytes of regular files in {@code diff/}
 * @param created   when it was committed (epoch millis)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LayerInfo(
        Digest chainId,
        Digest diffId,
        Digest parent,
        Digest blob,
        String mediaType,
        long blobSize,
        long diskSize,
        long created) {}
