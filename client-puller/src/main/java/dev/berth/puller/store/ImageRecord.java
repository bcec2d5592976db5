package dev.berth.puller.store;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.berth.oci.Digest;
import dev.berth.oci.ImageConfig;
import dev.berth.oci.OciJson;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * A pulled image ({@code images/<sha256 of reference>.json}): enough to list, inspect, mount and run it
 * without the registry.
 *
 * @param reference      the reference as pulled, normalised ({@code host/repo:tag[@digest]})
 * @param manifestDigest the image manifest's digest
 * @param indexDigest    the index it was chosen from, or null
 * @param mediaType      the manifest's media type
 * @param platform       os/arch[/variant]
 * @param configDigest   the config's digest (the image ID)
 * @param config         the config document as pulled
 * @param layers         bottom first
 * @param pulledAt       epoch millis
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ImageRecord(
        String reference,
        Digest manifestDigest,
        Digest indexDigest,
        String mediaType,
        String platform,
        Digest configDigest,
        JsonNode config,
        List<Layer> layers,
        long pulledAt) {

    /** The top layer's ChainID: the whole image's filesystem, or null for an image without layers. */
    public Digest topChainId() {
        return layers.isEmpty() ? null : layers.get(layers.size() - 1).chainId();
    }

    public List<Digest> chainIds() {
        return layers.stream().map(Layer::chainId).toList();
    }

    public ImageConfig parsedConfig() {
        return OciJson.mapper().treeToValue(config, ImageConfig.class);
    }

    /** One layer of the image. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Layer(Digest digest, String mediaType, long size, Digest diffId, Digest chainId) {}
}
