package dev.berth.puller.store;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.berth.oci.Digest;
import java.util.List;

/**
 * A mount made by berth ({@code mounts/<hash>/mount.json}); it pins the image's layers against prune and
 * eviction until unmounted.
 *
 * @param target    the mount point
 * @param reference the image
 * @param chainIds  the layers in use
 * @param writable  whether an upper directory was stacked on top
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MountRecord(String target, String reference, List<Digest> chainIds, boolean writable) {}
