package dev.berth.registry.manifest;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.ManifestParser;
import dev.berth.oci.ParsedManifest;
import dev.berth.storage.PathNotFoundException;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Manifest operations that touch several stores, in an order chosen so that a crash at any point leaves
 * nothing dangling: a push writes bytes, then the revision, then the referrers entry, then tags; a delete
 * removes tags, then the referrers entry, then the revision. All methods block.
 */
public class ManifestService {
    private final ManifestStore manifests;
    private final TagStore tags;
    private final ReferrersIndex referrers;

    public ManifestService(ManifestStore manifests, TagStore tags, ReferrersIndex referrers) {
        this.manifests = manifests;
        this.tags = tags;
        this.referrers = referrers;
    }

    public ManifestStore manifests() {
        return manifests;
    }

    public TagStore tags() {
        return tags;
    }

    public ReferrersIndex referrers() {
        return referrers;
    }

    /** What a push stored. */
    public record Pushed(Descriptor descriptor, Digest subject, List<String> tags) {}

    /**
     * Stores a validated manifest and points {@code tagsToSet} at it. The caller has checked the body, its
     * digest and {@link ManifestStore#missingReferences}.
     */
    public Pushed push(String name, byte[] body, ParsedManifest parsed, Digest digest, List<String> tagsToSet)
            throws IOException {
        Descriptor descriptor = manifests.put(name, body, parsed.mediaType(), digest);
        Digest subject = parsed.subject() == null ? null : parsed.subject().digest();
        if (subject != null) {
            referrers.add(name, subject, referrerDescriptor(descriptor, parsed));
        }
        // Tags last: a tag is only ever visible once everything it leads to is in place.
        for (String tag : tagsToSet) {
            tags.tag(name, tag, digest);
        }
        return new Pushed(descriptor, subject, List.copyOf(tagsToSet));
    }

    /** The descriptor of the manifest a tag or digest names, if the repository holds it. */
    public Optional<Descriptor> resolve(String name, String tag, Digest digest) throws IOException {
        if (digest != null) {
            return manifests.stat(name, digest);
        }
        Optional<Digest> target = tags.resolve(name, tag);
        return target.isEmpty() ? Optional.empty() : manifests.stat(name, target.get());
    }

    /**
     * Deletes manifest {@code digest}, every tag pointing at it and its referrers entry; false when the
     * repository does not hold it.
     */
    public boolean delete(String name, Digest digest) throws IOException {
        Optional<Descriptor> descriptor = manifests.stat(name, digest);
        if (descriptor.isEmpty()) {
            return false;
        }
        for (String tag : tags.tagsOf(name, digest)) {
            tags.untag(name, tag);
        }
        Descriptor subject = subjectOf(descriptor.get());
        if (subject != null) {
            referrers.remove(name, subject.digest(), digest);
        }
        return manifests.delete(name, digest);
    }

    private Descriptor subjectOf(Descriptor manifest) throws IOException {
        byte[] body;
        try {
            body = manifests.content(manifest.digest());
        } catch (PathNotFoundException e) {
            return null; // bytes already collected: nothing left to learn the subject from
        }
        // Bodies were validated on push; one that no longer parses has no subject to clean up after.
        try {
            return ManifestParser.parse(body, manifest.mediaType()).subject();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The descriptor the referrers API lists: the spec asks for the manifest's artifactType (for image
     * manifests defaulting to the config media type) and all its annotations.
     */
    static Descriptor referrerDescriptor(Descriptor manifest, ParsedManifest parsed) {
        Map<String, String> annotations = parsed.annotations().isEmpty() ? null : parsed.annotations();
        return manifest.withArtifactType(parsed.artifactType(), annotations);
    }
}
