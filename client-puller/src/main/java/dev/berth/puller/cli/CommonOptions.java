package dev.berth.puller.cli;

import dev.berth.oci.ImageReference;
import dev.berth.oci.Platform;
import dev.berth.puller.mount.ImageMounts;
import dev.berth.puller.pull.LayerUnpacker;
import dev.berth.puller.pull.PullOptions;
import dev.berth.puller.pull.Puller;
import dev.berth.puller.registry.DockerConfigCredentials;
import dev.berth.puller.registry.ImageResolver;
import dev.berth.puller.registry.ProxySettings;
import dev.berth.puller.registry.Registries;
import dev.berth.puller.registry.TransportOptions;
import dev.berth.puller.store.ImageRecord;
import dev.berth.puller.store.Store;
import dev.berth.puller.store.StoreLayout;
import dev.berth.unionfs.mount.Mounter;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options shared by subcommands, and the small factories behind them. */
final class CommonOptions {
    /** The environment proxies are read from; tests of the command line in this JVM may replace it. */
    static volatile Map<String, String> environment = System.getenv();

    private CommonOptions() {}

    /** Where the store lives. */
    static final class StoreOptions {
        @Option(
                names = "--root",
                paramLabel = "DIR",
                description = "store root (default: ${DEFAULT-VALUE})",
                defaultValue = StoreLayout.DEFAULT_ROOT)
        Path root;

        @Option(
                names = "--json",
                description = "machine-readable output: JSON on stdout, and errors as one JSON " + "object on stderr")
        boolean json;

        /** The existing store; a reading command never creates one where none is. */
        Store open() throws IOException {
            if (!Store.exists(root)) {
                throw new CliException(
                        Failure.Code.NO_STORE,
                        "no berth store at " + root.toAbsolutePath()
                                + ": nothing was pulled there; check --root (default " + StoreLayout.DEFAULT_ROOT
                                + "), or pull an image first");
            }
            return openOrCreate();
        }

        /** The store, created when missing (pull, and the long-running services). */
        Store openOrCreate() throws IOException {
            try {
                return Store.open(root);
            } catch (FileSystemException e) {
                String reason = e.getReason() != null
                        ? e.getReason()
                        : e instanceof java.nio.file.AccessDeniedException
                                ? "permission denied"
                                : e instanceof java.nio.file.NoSuchFileException
                                        ? "no such file or directory"
                                        : e.getClass().getSimpleName();
                throw new CliException(
                        Failure.Code.STORE,
                        "cannot create the store at " + root.toAbsolutePath()
                                + " (" + e.getFile() + ": " + reason
                                + "): choose another --root, or check that it is a "
                                + "writable directory on a local file system",
                        e);
            }
        }

        /**
         * Finds one image: by reference (as typed or normalised, so {@code busybox} finds
         * {@code docker.io/library/busybox:latest}) or by a prefix of its manifest digest or image ID. A reference
         * pulled for several platforms means the one of {@code platform}, else this host's, else it is ambiguous.
         */
        ImageRecord find(Store store, String text, String platform) throws IOException {
            List<ImageRecord> all = store.images().list();
            List<ImageRecord> matches = byReference(all, text);
            if (matches.isEmpty()) {
                String hex = text.startsWith("sha256:") ? text.substring(7) : text;
                matches = hex.length() < 4 || !hex.matches("[0-9a-f]+")
                        ? List.of()
                        : all.stream()
                                .filter(r -> r.manifestDigest().hex().startsWith(hex)
                                        || r.configDigest().hex().startsWith(hex))
                                .toList();
            }
            if (platform != null) {
                String wanted = Platform.parse(platform).toString();
                matches = matches.stream()
                        .filter(r -> r.platform().equals(wanted)
                                || Platform.parse(wanted).accepts(Platform.parse(r.platform())))
                        .toList();
            } else if (matches.size() > 1
                    && matches.stream().map(ImageRecord::reference).distinct().count() == 1) {
                Platform host = ImageResolver.hostPlatform();
                List<ImageRecord> native_ = matches.stream()
                        .filter(r -> host.accepts(Platform.parse(r.platform())))
                        .toList();
                if (native_.size() == 1) {
                    matches = native_;
                }
            }
            if (matches.size() == 1) {
                return matches.get(0);
            }
            if (matches.isEmpty()) {
                throw new CliException(
                        Failure.Code.IMAGE_NOT_FOUND,
                        "no such image: " + text
                                + (platform != null ? " for platform " + platform : "")
                                + " (`berth-pull images` lists the pulled ones; `berth-pull pull " + text
                                + "` pulls it)");
            }
            StringBuilder b = new StringBuilder("ambiguous: " + text + " matches " + matches.size() + " images:");
            for (ImageRecord r : matches) {
                b.append("\n  ")
                        .append(r.reference())
                        .append("  ")
                        .append(r.platform())
                        .append("  ID ")
                        .append(r.configDigest().hex(), 0, 12)
                        .append("  digest ")
                        .append(r.manifestDigest());
            }
            b.append("\ngive more of the digest, the full reference, or --platform");
            throw new CliException(Failure.Code.AMBIGUOUS, b.toString());
        }

        /** The records of the reference {@code text} (as typed or normalised), of every platform. */
        static List<ImageRecord> byReference(List<ImageRecord> all, String text) {
            String normal;
            try {
                normal = ImageReference.parse(text).toString();
            } catch (IllegalArgumentException notAReference) {
                normal = text;
            }
            String n = normal;
            return all.stream()
                    .filter(r -> r.reference().equals(text) || r.reference().equals(n))
                    .toList();
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
        @Option(
                names = "--plain-http",
                description = "talk HTTP, not HTTPS, to the registry (not needed for "
                        + "localhost, 127.0.0.0/8 and ::1, where HTTPS falls back to HTTP)")
        boolean plainHttp;

        @Option(names = "--insecure", description = "do not verify the registry's TLS certificate")
        boolean insecure;

        @Option(names = "--ca-file", paramLabel = "FILE", description = "extra PEM CA certificates to trust")
        Path caFile;

        @Option(
                names = "--platform",
                paramLabel = "OS/ARCH[/VARIANT]",
                description = "platform to pull from an index (default: this host's)")
        String platform;

        @Option(
                names = "--parallel",
                paramLabel = "N",
                description = "layers to download at once " + "(default: ${DEFAULT-VALUE})",
                defaultValue = "6")
        int parallel;

        TransportOptions transport() {
            ProxySettings proxies;
            try {
                proxies = ProxySettings.fromEnvironment(environment);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("proxy settings of the environment: " + e.getMessage(), e);
            }
            return TransportOptions.defaults()
                    .withPlainHttp(plainHttp)
                    .withInsecure(insecure)
                    .withCaFile(caFile)
                    .withProxies(proxies);
        }

        /** The platform to pull; a malformed --platform is a usage error of {@code cl}. */
        Platform platform(picocli.CommandLine cl) {
            try {
                return platform == null ? ImageResolver.hostPlatform() : Platform.parse(platform);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(
                        cl, "--platform: " + e.getMessage() + " (e.g. linux/amd64 or linux/arm64/v8)");
            }
        }

        Puller puller(Store store, picocli.CommandLine cl) throws IOException {
            Registries registries = new Registries(transport(), DockerConfigCredentials.load());
            return new Puller(
                    store,
                    registries,
                    LayerUnpacker.unionFs(),
                    PullOptions.defaults().withPlatform(platform(cl)).withParallel(parallel));
        }
    }
}
