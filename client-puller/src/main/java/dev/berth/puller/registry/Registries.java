package dev.berth.puller.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One {@link RegistryClient} per registry host, sharing transport options, credentials and an observer. */
public final class Registries {
    private final TransportOptions options;
    private final CredentialStore credentials;
    private final RegistryClient.RequestObserver observer;
    private final Map<String, RegistryClient> clients = new ConcurrentHashMap<>();

    public Registries(TransportOptions options, CredentialStore credentials, RegistryClient.RequestObserver observer) {
        this.options = options;
        this.credentials = credentials;
        this.observer = observer == null ? RegistryClient.RequestObserver.NONE : observer;
    }

    public Registries(TransportOptions options, CredentialStore credentials) {
        this(options, credentials, null);
    }

    /** The client for a reference's registry ({@code docker.io} is sent to Docker Hub's API host). */
    public RegistryClient client(String registry) {
        return clients.computeIfAbsent(dev.berth.oci.ImageReference.endpoint(registry), h -> {
            try {
                RegistryClient c = RegistryClient.create(h, options, credentials);
                c.setObserver(observer);
                return c;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
