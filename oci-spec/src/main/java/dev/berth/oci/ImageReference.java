package dev.berth.oci;

import java.util.Locale;

/**
 * A reference as users type it: {@code [registry[:port]/]repository[:tag][@digest]}. As with docker and
 * podman, a reference without a registry host means Docker Hub, named {@code docker.io} (so {@code busybox} is
 * {@code docker.io/library/busybox:latest}), and a single-component repository there gets {@code library/}.
 * A first component is a registry host when it contains '.' or ':' or is "localhost".
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {
    /** The host Docker Hub's registry API answers on. */
    public static final String DOCKER_HUB = "registry-1.docker.io";
    /** Docker Hub's name in references, as docker prints it. */
    public static final String DOCKER_IO = "docker.io";

    public ImageReference {
        if (!Names.isRepository(repository)) {
            throw new IllegalArgumentException("invalid repository name: " + repository);
        }
        if (tag != null && !Names.isTag(tag)) {
            throw new IllegalArgumentException("invalid tag: " + tag);
        }
    }

    public static ImageReference parse(String text) {
        String rest = text;
        Digest digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = Digest.parse(rest.substring(at + 1));
            rest = rest.substring(0, at);
        }
        String registry = DOCKER_IO;
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
                registry = isDockerHub(first) ? DOCKER_IO : first;
                rest = rest.substring(slash + 1);
            }
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon >= 0) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        if (registry.equals(DOCKER_IO) && !rest.contains("/")) {
            rest = "library/" + rest;
        }
        return new ImageReference(registry.toLowerCase(Locale.ROOT), rest, tag, digest);
    }

    /** The host to send requests to for a reference's registry: Docker Hub's API host for docker.io. */
    public static String endpoint(String registry) {
        return DOCKER_IO.equals(registry) ? DOCKER_HUB : registry;
    }

    private static boolean isDockerHub(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals(DOCKER_IO) || h.equals("index.docker.io") || h.equals(DOCKER_HUB);
    }

    /** What to ask the registry for: the digest when pinned, else the tag. */
    public String manifestReference() {
        return digest != null ? digest.toString() : tag;
    }

    public ImageReference withDigest(Digest d) {
        return new ImageReference(registry, repository, tag, d);
    }

    @Override
    public String toString() {
        return registry + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
