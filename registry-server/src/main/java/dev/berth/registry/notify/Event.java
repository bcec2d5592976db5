package dev.berth.registry.notify;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import java.util.ArrayList;
import java.util.List;

/**
 * One event of the notification envelope ({@value #ENVELOPE_MEDIA_TYPE}), field for field as the CNCF
 * distribution registry sends it, so receivers written for that registry (and Berth's node agent) read it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Event(
        String id, String timestamp, String action, Target target, Request request, Actor actor, Source source) {
    public static final String ENVELOPE_MEDIA_TYPE = "application/vnd.docker.distribution.events.v1+json";
    /** The media type blob targets carry: the registry does not know a layer's own type. */
    static final String BLOB_MEDIA_TYPE = "application/octet-stream";

    /** The body of one delivery: {@code {"events": [...]}}. */
    public record Envelope(List<Event> events) {}

    /**
     * What the event concerns. {@code size} and {@code length} are the same number; {@code url} is where the
     * content can be fetched; {@code tag} is set for pushes and pulls by tag and for tag deletes;
     * {@code fromRepository} for mounts.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Target(
            String mediaType,
            Long size,
            String digest,
            Long length,
            String repository,
            String url,
            String tag,
            String fromRepository,
            @JsonIgnore boolean blob) {

        /** A manifest pushed, pulled or deleted, by tag when {@code tag} is not null. */
        public static Target manifest(String repository, Descriptor manifest, String tag) {
            return new Target(
                    manifest.mediaType(),
                    manifest.size(),
                    manifest.digest().toString(),
                    manifest.size(),
                    repository,
                    null,
                    tag,
                    null,
                    false);
        }

        /** A manifest deleted by digest (its media type and size are no longer known). */
        public static Target manifest(String repository, Digest digest) {
            return new Target(null, null, digest.toString(), null, repository, null, null, null, false);
        }

        /** One push event per tag the PUT set, or one without a tag. */
        public static List<Target> manifests(String repository, Descriptor manifest, List<String> tags) {
            if (tags.isEmpty()) {
                return List.of(manifest(repository, manifest, null));
            }
            List<Target> targets = new ArrayList<>(tags.size());
            tags.forEach(tag -> targets.add(manifest(repository, manifest, tag)));
            return targets;
        }

        /** A tag deleted on its own. */
        public static Target tag(String repository, String tag) {
            return new Target(null, null, null, null, repository, null, tag, null, false);
        }

        /** A blob; {@code size} below zero when unknown (deletes). */
        public static Target blob(String repository, Digest digest, long size) {
            Long known = size < 0 ? null : size;
            return new Target(BLOB_MEDIA_TYPE, known, digest.toString(), known, repository, null, null, null, true);
        }

        Target withUrl(String url) {
            return new Target(mediaType, size, digest, length, repository, url, tag, fromRepository, blob);
        }

        Target withFromRepository(String from) {
            return new Target(mediaType, size, digest, length, repository, url, tag, from, blob);
        }
    }

    /** The request that caused the event: its id, client address, Host header, method and User-Agent. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Request(
            String id,
            String addr,
            String host,
            String method,
            @JsonProperty("useragent") String userAgent) {}

    /** Who caused it: the authenticated user's name, absent for anonymous clients. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Actor(String name) {}

    /** Which registry process sent it: its host and port, and an id unique to the process. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Source(
            String addr, @JsonProperty("instanceID") String instanceId) {}
}
