package dev.berth.registry.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.testing.Resp;
import org.junit.jupiter.api.Test;

/** Clients recognise a registry by the API version header on {@code /v2/}, on success and on errors alike. */
class ApiVersionHeaderTest extends ApiTestSupport {

    @Test
    void everyV2ResponseCarriesTheApiVersion() {
        for (Resp r : new Resp[] {
            get("/v2/"),
            head("/v2/"),
            get("/v2/nothing/here/manifests/latest"),
            get("/v2/Bad_Name/tags/list"),
            get("/v2/_catalog")
        }) {
            assertThat(r.header("Docker-Distribution-API-Version")).as("%s", r).isEqualTo("registry/2.0");
        }
        assertThat(get("/v2/").status()).isEqualTo(200);
    }
}
