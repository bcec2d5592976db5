package dev.berth.puller.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * What a user configured for one registry: a user name and password, or an identity token (an OAuth2 refresh
 * token that docker stores after {@code docker login} with some registries).
 */
public record Credential(String username, String password, String identityToken) {

    public static Credential basic(String username, String password) {
        return new Credential(username, password, null);
    }

    public boolean hasPassword() {
        return username != null && !username.isEmpty() && password != null;
    }

    public boolean hasIdentityToken() {
        return identityToken != null && !identityToken.isEmpty();
    }

    /** The value of an {@code Authorization: Basic} header. */
    public String basicHeader() {
        return "Basic "
                + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "Credential[" + username + (identityToken != null ? ", identity token" : "") + "]";
    }
}
