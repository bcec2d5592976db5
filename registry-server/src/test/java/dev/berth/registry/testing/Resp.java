package dev.berth.registry.testing;

import dev.berth.oci.OciJson;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import tools.jackson.databind.JsonNode;

/** An HTTP response with its body read whole, as the HTTP-level tests inspect it. */
public record Resp(int status, HttpHeaders headers, byte[] body) {

    public String header(String name) {
        return headers.firstValue(name).orElse(null);
    }

    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    public JsonNode json() {
        return OciJson.mapper().readTree(body);
    }

    /** The spec error code of an error body. */
    public String errorCode() {
        return json().get("errors").get(0).get("code").asString();
    }

    @Override
    public String toString() {
        return status + " " + headers.map() + " " + text();
    }
}
