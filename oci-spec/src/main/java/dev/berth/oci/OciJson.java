package dev.berth.oci;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** The one Jackson mapper for OCI documents: lenient on unknown fields, strict on types. */
public final class OciJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private OciJson() {}

    public static ObjectMapper mapper() {
        return MAPPER;
    }
}
