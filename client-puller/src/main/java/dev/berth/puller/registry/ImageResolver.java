package dev.berth.puller.registry;

import dev.berth.oci.Descriptor;
import dev.berth.oci.Digest;
import dev.berth.oci.ImageConfig;
import dev.berth.oci.ImageReference;
import dev.berth.oci.ManifestParser;
import dev.berth.oci.MediaTypes;
import dev.berth.oci.OciJson;
import dev.berth.oci.ParsedManifest;
import dev.berth.oci.Platform;
import dev.berth.oci.io.DigestMismatchException;
import java.io.IOException;
import java.util.Locale;

/**
 * Resolves a reference to one image: follows an index to the manifest for the wanted platform, then
 * fetches and verifies the config.
 */
public final class ImageResolver {
    /** Configs are small JSON documents; refuse to buffer anything bigger. */
    public static final int MAX_CONFIG_BYTES = 8 * 1024 * 1024;

    private final RegistryClient client;

    public ImageResolver(RegistryClient client) {
        this.client = client;
    }

    /** The platform of this machine, as image indexes name it (linux/amd64, linux/arm64/v8, ...). */
    public static Platform hostPlatform() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String mapped = switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "x86", "i386", "i686" -> "386";
            case "arm" -> "arm";
            default -> arch;
        };
        return Platform.of("linux", mapped, null);
    }

    public ResolvedImage resolve(ImageReference ref, Platform platform) throws IOException {
        ManifestResponse top = client.pullManifest(ref.repository(), ref.manifestReference());
        ParsedManifest parsed = ManifestParser.parse(top.body(), top.mediaType());
        Digest indexDigest = null;
        ManifestResponse chosen = top;
        Platform listed = null;
        if (parsed.isIndex()) {
            indexDigest = top.digest();
            Descriptor d = select(parsed, platform, ref);
            listed = d.platform();
            chosen = client.pullManifest(ref.repository(), d.digest().toString());
            parsed = ManifestParser.parse(chosen.body(), d.mediaType());
            if (parsed.isIndex()) {
                throw new IOException(ref + ": nested indexes are not supported");
            }
        }
        if (parsed.imageManifest() == null) {
            throw new IOException(ref + ": not an image manifest");
        }
        Descriptor configDesc = parsed.imageManifest().config();
        byte[] configBytes = client.pullSmallBlob(ref.repository(), configDesc.digest(), MAX_CONFIG_BYTES);
        Digest actual = Digest.compute(configDesc.digest().algorithm(), configBytes);
        if (!actual.equals(configDesc.digest()) || configBytes.length != configDesc.size()) {
            throw new DigestMismatchException(
                    configDesc.digest(), "config has digest " + actual + " and " + configBytes.length + " bytes");
        }
        ImageConfig config = OciJson.mapper().readValue(configBytes, ImageConfig.class);
        int layers = parsed.imageManifest().layersOrEmpty().size();
        int diffIds = config.rootfs() == null || config.rootfs().diffIds() == null
                ? -1
                : config.rootfs().diffIds().size();
        if (diffIds != layers) {
            throw new IOException(
                    ref + ": manifest has " + layers + " layers but the config lists " + diffIds + " diff_ids");
        }
        Platform actualPlatform = fullPlatform(config, listed);
        return new ResolvedImage(
                ref,
                indexDigest,
                chosen.digest(),
                parsed.mediaType(),
                parsed.imageManifest(),
                configBytes,
                config,
                actualPlatform);
    }

    /**
     * The image's platform with its variant: the config's, else the index entry's, else the architecture's
     * default where it has one (arm64 means arm64/v8), so that users see {@code linux/arm64/v8}.
     */
    static Platform fullPlatform(ImageConfig config, Platform listed) {
        String variant = config.variant();
        if ((variant == null || variant.isEmpty())
                && listed != null
                && config.architecture() != null
                && config.architecture().equals(listed.architecture())) {
            variant = listed.variant();
        }
        if ((variant == null || variant.isEmpty()) && "arm64".equals(config.architecture())) {
            variant = "v8";
        }
        return Platform.of(config.os(), config.architecture(), variant);
    }

    private static Descriptor select(ParsedManifest index, Platform platform, ImageReference ref) throws IOException {
        StringBuilder seen = new StringBuilder();
        for (Descriptor d : index.children()) {
            if (d.platform() != null) {
                seen.append(seen.length() == 0 ? "" : ", ").append(d.platform());
            }
            if (MediaTypes.isImageManifest(d.mediaType()) && platform.accepts(d.platform())) {
                return d;
            }
        }
        throw new IOException(ref + ": no manifest for platform " + platform + " (index has: " + seen + ")");
    }
}
