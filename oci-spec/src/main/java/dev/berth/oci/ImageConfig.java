package dev.berth.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/** The parts of an image configuration that pullers and runtimes need. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ImageConfig(
        String architecture,
        String os,
        String variant,
        String created,
        @JsonProperty("config") Execution config,
        RootFs rootfs) {

    /** How to run the image: the image spec's capitalised field names. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Execution(
            @JsonProperty("User") String user,
            @JsonProperty("Env") List<String> env,
            @JsonProperty("Entrypoint") List<String> entrypoint,
            @JsonProperty("Cmd") List<String> cmd,
            @JsonProperty("WorkingDir") String workingDir,
            @JsonProperty("Labels") Map<String, String> labels,
            @JsonProperty("StopSignal") String stopSignal) {}

    /** The uncompressed layer digests, bottom first. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RootFs(
            String type, @JsonProperty("diff_ids") List<Digest> diffIds) {}
}
