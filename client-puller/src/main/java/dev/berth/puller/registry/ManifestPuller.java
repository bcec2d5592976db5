package dev.berth.puller.registry;

import dev.berth.oci.Digest;
import dev.berth.oci.ManifestParser;
import dev.berth.oci.MediaTypes;
import dev.berth.oci.io.DigestMismatchException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Map;

/** {@code GET /v2/<name>/manifests/<reference>}: a manifest or index, checked against a pinned digest. */
final class ManifestPuller implements RegistryEndpoint<ManifestResponse> {
    /** Manifests are small; anything bigger is refused rather than buffered. */
    static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

    private static final String ACCEPT = String.join(
            ", ",
            MediaTypes.OCI_INDEX,
            MediaTypes.OCI_MANIFEST,
            MediaTypes.DOCKER_MANIFEST_LIST,
            MediaTypes.DOCKER_MANIFEST);

    private final String repository;
    private final String reference;

    ManifestPuller(String repository, String reference) {
        this.repository = repository;
        this.reference = reference;
    }

    @Override
    public String repository() {
        return repository;
    }

    @Override
    public URI uri(String baseUrl) {
        return URI.create(baseUrl + "/v2/" + repository + "/manifests/" + reference);
    }

    @Override
    public void addHeaders(Map<String, String> headers) {
        headers.put("Accept", ACCEPT);
    }

    @Override
    public boolean accepts(int status) {
        return status == 200;
    }

    @Override
    public ManifestResponse handle(HttpTransport.Response response) throws IOException {
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(MAX_MANIFEST_BYTES + 1);
        }
        if (body.length > MAX_MANIFEST_BYTES) {
            throw new IOException(describe() + ": manifest larger than " + MAX_MANIFEST_BYTES + " bytes");
        }
        Digest digest;
        if (Digest.isValid(reference)) {
            Digest pinned = Digest.parse(reference);
            digest = Digest.compute(pinned.algorithm(), body);
            if (!digest.equals(pinned)) {
                throw new DigestMismatchException(pinned, "registry served a manifest with digest " + digest);
            }
        } else {
            digest = Digest.sha256(body);
        }
        String type =
                ManifestParser.baseType(response.firstHeader("Content-Type").orElse(null));
        return new ManifestResponse(body, type, digest);
    }

    @Override
    public String describe() {
        return "pull manifest " + repository + (Digest.isValid(reference) ? "@" : ":") + reference;
    }
}
