package dev.berth.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** The platform an image runs on, as written in index entries and image configs. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Platform(
        String architecture,
        String os,
        @JsonProperty("os.version") String osVersion,
        @JsonProperty("os.features") List<String> osFeatures,
        String variant,
        List<String> features) {

    public static Platform of(String os, String architecture, String variant) {
        return new Platform(architecture, os, null, null, variant, null);
    }

    /** Parses {@code os/arch[/variant]}, e.g. {@code linux/arm64/v8}. */
    public static Platform parse(String text) {
        String[] parts = text.split("/");
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("platform must be os/arch[/variant]: " + text);
        }
        return of(parts[0], parts[1], parts.length == 3 ? parts[2] : null);
    }

    /**
     * True when an index entry with platform {@code candidate} can run on this platform. os and architecture
     * must be equal; a variant, when this platform names one, must match (arm64's "v8" is its default).
     */
    public boolean accepts(Platform candidate) {
        if (candidate == null || !os.equals(candidate.os) || !architecture.equals(candidate.architecture)) {
            return false;
        }
        if (variant == null || variant.isEmpty()) {
            return true;
        }
        return variant.equals(normalVariant(candidate));
    }

    private static String normalVariant(Platform p) {
        if ((p.variant == null || p.variant.isEmpty()) && "arm64".equals(p.architecture)) {
            return "v8";
        }
        return p.variant;
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null || variant.isEmpty() ? "" : "/" + variant);
    }
}
