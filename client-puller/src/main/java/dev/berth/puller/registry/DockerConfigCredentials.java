package dev.berth.puller.registry;

import dev.berth.oci.ImageReference;
import dev.berth.oci.OciJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * Credentials from docker's {@code config.json}: {@code auths.<host>.auth} (base64 of {@code user:pass}),
 * {@code username}/{@code password}, and {@code identitytoken}. Keys may be bare hosts or URLs such as
 * {@code https://index.docker.io/v1/}, which is how docker names Docker Hub. Credential helpers are not run.
 */
public final class DockerConfigCredentials implements CredentialStore {
    private final Map<String, Credential> byHost;

    private DockerConfigCredentials(Map<String, Credential> byHost) {
        this.byHost = Map.copyOf(byHost);
    }

    /** The file docker itself reads: {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}. */
    public static Path defaultLocation() {
        String dir = System.getenv("DOCKER_CONFIG");
        if (dir != null && !dir.isEmpty()) {
            return Path.of(dir, "config.json");
        }
        return Path.of(System.getProperty("user.home"), ".docker", "config.json");
    }

    /** Loads the default file; a missing file means no credentials. */
    public static DockerConfigCredentials load() throws IOException {
        return load(defaultLocation());
    }

    public static DockerConfigCredentials load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return new DockerConfigCredentials(Map.of());
        }
        JsonNode root = OciJson.mapper().readTree(Files.readAllBytes(file));
        Map<String, Credential> out = new HashMap<>();
        JsonNode auths = root.path("auths");
        for (Map.Entry<String, JsonNode> e : auths.properties()) {
            JsonNode v = e.getValue();
            String user = text(v, "username");
            String pass = text(v, "password");
            String auth = text(v, "auth");
            if (auth != null && !auth.isEmpty()) {
                String decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                if (colon > 0) {
                    user = decoded.substring(0, colon);
                    pass = decoded.substring(colon + 1);
                }
            }
            String identity = text(v, "identitytoken");
            if (user != null || identity != null) {
                out.put(normalise(e.getKey()), new Credential(user, pass, identity));
            }
        }
        return new DockerConfigCredentials(out);
    }

    @Override
    public Optional<Credential> find(String registryHost) {
        String host = normalise(registryHost);
        Credential c = byHost.get(host);
        if (c == null && ImageReference.DOCKER_HUB.equals(host)) {
            c = byHost.get("index.docker.io");
        }
        return Optional.ofNullable(c);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asString();
    }

    /** {@code https://host:port/v1/} and {@code host:port} name the same registry. */
    static String normalise(String key) {
        String k = key.trim();
        int scheme = k.indexOf("://");
        if (scheme >= 0) {
            k = k.substring(scheme + 3);
        }
        int slash = k.indexOf('/');
        if (slash >= 0) {
            k = k.substring(0, slash);
        }
        k = k.toLowerCase(java.util.Locale.ROOT);
        return "docker.io".equals(k) ? "index.docker.io" : k;
    }
}
