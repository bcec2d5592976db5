package dev.berth.puller.cli;

import dev.berth.oci.Platform;
import dev.berth.puller.mount.ImageMounts;
import dev.berth.unionfs.mount.Mounter;
import dev.berth.puller.pull.LayerUnpacker;
import dev.berth.puller.pull.PullOptions;
import dev.berth.puller.pull.Puller;
import dev.berth.puller.registry.DockerConfigCredentials;
import dev.berth.puller.registry.ImageResolver;
import dev.berth.puller.registry.Registries;
import dev.berth.puller.registry.TransportOptions;
import dev.berth.puller.store.ImageRecord;
import dev.berth.puller.store.Store;
import dev.berth.puller.store.StoreLayout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** Options shared by subcommands, and the small factories behind them. */
final class CommonOptions {
    private CommonOptions() {
    }

    /** Where the store lives. */
    static final class StoreOptions {
        @Option(names = "--root", description = "store root (default: ${DEFAULT-VALUE})",
                defaultValue = StoreLayout.DEFAULT_ROOT)
        Path root;

        @Option(names = "--json", description = "machine-readable output (JSON)")
        boolean json;

        Store open() throws IOException {
            return Store.open(root);
        }

        /** Finds an image by reference (as typed or normalised) or by manifest/config digest prefix. */
        ImageRecord find(Store store, String text) throws IOException {
            try {
                String normal = dev.berth.oci.ImageReference.parse(text).toString();
                var exact = store.images().get(normal);
                if (exact.isPresent()) {
                    return exact.get();
                }
            } catch (IllegalArgumentException notAReference) {
                // maybe a digest prefix
            }
            List<ImageRecord> matches = store.images().list().stream().filter(r -> r.reference().equals(text)
                    || r.manifestDigest().toString().startsWith(text) || r.manifestDigest().hex().startsWith(text)
                    || r.configDigest().hex().startsWith(text)).toList();
            if (matches.size() == 1) {
                return matches.get(0);
            }
            throw new IOException(matches.isEmpty() ? "no such image: " + text : "ambiguous: " + text);
        }

        ImageMounts mounts(Store store) {
            return new ImageMounts(store, mounter());
        }

        static Mounter mounter() {
            return Mounter.linux();
        }
    }

    /** How to reach registries and what to pull. */
    static final class RegistryOptions {
        @Option(names = "--plain-http", description = "talk HTTP, not HTTPS, to the registry")
        boolean plainHttp;

        @Option(names = "--insecure", description = "do not verify the registry's TLS certificate")
        boolean insecure;

        @Option(names = "--ca-file", description = "extra PEM CA certificates to trust")
        Path caFile;

        @Option(names = "--platform", description = "os/arch[/variant] to pull from an index (default: this host)")
        String platform;

        @Option(names = "--parallel", description = "layers to download at once (default: ${DEFAULT-VALUE})",
                defaultValue = "6")
        int parallel;

        TransportOptions transport() {
            return TransportOptions.defaults().withPlainHttp(plainHttp).withInsecure(insecure).withCaFile(caFile);
        }

        Puller puller(Store store) throws IOException {
            Registries registries = new Registries(transport(), DockerConfigCredentials.load());
            Platform p = platform == null ? ImageResolver.hostPlatform() : Platform.parse(platform);
            return new Puller(store, registries, LayerUnpacker.unionFs(),
                    PullOptions.defaults().withPlatform(p).withParallel(parallel));
        }
    }
}
