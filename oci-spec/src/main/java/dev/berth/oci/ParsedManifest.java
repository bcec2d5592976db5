package dev.berth.oci;

import java.util.List;
import java.util.Map;

/**
 * What a registry needs to know about a manifest, whatever its type: its effective media type, the blobs and
 * child manifests it references, and the fields the referrers API reports.
 *
 * @param mediaType      the manifest's media type (body field, else the declared Content-Type)
 * @param artifactType   for referrers: the {@code artifactType} field, else an image manifest's config media type
 * @param blobs          blobs referenced (config and layers); empty for indexes
 * @param children       manifests referenced (index entries); empty for image manifests
 * @param subject        the manifest this one refers to, or null
 * @param annotations    top-level annotations, possibly empty
 * @param imageManifest  the parsed image manifest, or null for an index
 * @param index          the parsed index, or null for an image manifest
 */
public record ParsedManifest(
        String mediaType,
        String artifactType,
        List<Descriptor> blobs,
        List<Descriptor> children,
        Descriptor subject,
        Map<String, String> annotations,
        ImageManifest imageManifest,
        ImageIndex index) {

    public boolean isIndex() {
        return index != null;
    }
}
