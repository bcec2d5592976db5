package dev.berth.puller.registry;

import java.util.Optional;

/** Looks up the credential configured for a registry host ({@code host[:port]}). */
@FunctionalInterface
public interface CredentialStore {
    Optional<Credential> find(String registryHost);

    /** No credentials: every request is anonymous. */
    static CredentialStore anonymous() {
        return host -> Optional.empty();
    }
}
