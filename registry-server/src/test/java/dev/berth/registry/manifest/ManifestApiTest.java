package dev.berth.registry.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.MediaTypes;
import dev.berth.registry.testing.Resp;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Push, pull, HEAD and delete of manifests of every supported type, and the errors around them. */
class ManifestApiTest extends ApiTestSupport {

    @Test
    void ociImageRoundTripsByTagAndDigestWithExactBytes() {
        String repo = newRepo("oci");
        byte[] body = ociImage(repo);
        Resp put = putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, body);
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        String digest = sha256(body);
        assertThat(put.header("Docker-Content-Digest")).isEqualTo(digest);
        assertThat(put.header("Location")).isEqualTo("/v2/" + repo + "/manifests/" + digest);
        assertThat(put.header("OCI-Subject")).isNull();

        for (String ref : List.of("v1", digest)) {
            Resp get = get("/v2/" + repo + "/manifests/" + ref, "Accept", MediaTypes.OCI_MANIFEST);
            assertThat(get.status()).as("%s", get).isEqualTo(200);
            assertThat(get.body()).isEqualTo(body);
            assertThat(get.header("Content-Type")).isEqualTo(MediaTypes.OCI_MANIFEST);
            assertThat(get.header("Docker-Content-Digest")).isEqualTo(digest);
            assertThat(get.header("Content-Length")).isEqualTo(Integer.toString(body.length));
            assertThat(get.header("ETag")).isEqualTo('"' + digest + '"');
        }
    }

    @Test
    void blobsUploadedThroughTheApiSatisfyAPush() {
        String repo = newRepo("uploaded");
        byte[] config = "{\"architecture\":\"arm64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = "uploaded layer bytes".getBytes(StandardCharsets.UTF_8);
        for (byte[] blob : List.of(config, layer)) {
            Resp post = send("POST", "/v2/" + repo + "/blobs/uploads/", null);
            assertThat(post.status()).as("%s", post).isEqualTo(202);
            String location = post.header("Location");
            String target = location + (location.contains("?") ? "&" : "?") + "digest=" + sha256(blob);
            Resp put = send(
                    "PUT",
                    target.startsWith("http")
                            ? URI.create(target).getRawPath() + "?"
                                    + URI.create(target).getRawQuery()
                            : target,
                    blob,
                    "Content-Type",
                    "application/octet-stream");
            assertThat(put.status()).as("%s", put).isEqualTo(201);
        }
        byte[] body = imageManifest(
                MediaTypes.OCI_MANIFEST,
                descriptor(MediaTypes.OCI_CONFIG, sha256(config), config.length),
                List.of(descriptor(MediaTypes.OCI_LAYER_GZIP, sha256(layer), layer.length)),
                Map.of());
        String digest = push(repo, "v1", MediaTypes.OCI_MANIFEST, body);
        assertThat(get("/v2/" + repo + "/manifests/" + digest).body()).isEqualTo(body);
    }

    @Test
    void headByTagKeepsContentLengthAndSendsNoBody() {
        String repo = newRepo("head");
        byte[] body = ociImage(repo);
        String digest = push(repo, "latest", MediaTypes.OCI_MANIFEST, body);
        Resp head = head("/v2/" + repo + "/manifests/latest");
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.header("Docker-Content-Digest")).isEqualTo(digest);
        assertThat(head.header("Content-Type")).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(head.header("Content-Length")).isEqualTo(Integer.toString(body.length));

        assertThat(head("/v2/" + repo + "/manifests/nope").status()).isEqualTo(404);
    }

    @Test
    void conditionalGetAnswersNotModified() {
        String repo = newRepo("etag");
        String digest = push(repo, "v1", MediaTypes.OCI_MANIFEST, ociImage(repo));
        Resp r = get("/v2/" + repo + "/manifests/v1", "If-None-Match", '"' + digest + '"');
        assertThat(r.status()).isEqualTo(304);
        assertThat(r.header("Docker-Content-Digest")).isEqualTo(digest);
    }

    @Test
    void ociIndexNeedsItsChildrenInTheRepository() {
        String repo = newRepo("index");
        byte[] image = ociImage(repo);
        String child = sha256(image);
        Map<String, Object> entry = descriptor(MediaTypes.OCI_MANIFEST, child, image.length);
        entry.put("platform", Map.of("os", "linux", "architecture", "amd64"));
        byte[] index = index(MediaTypes.OCI_INDEX, List.of(entry), Map.of());

        Resp missing = putManifest(repo, "multi", MediaTypes.OCI_INDEX, index);
        assertThat(missing.status()).as("%s", missing).isEqualTo(404);
        assertThat(missing.errorCode()).isEqualTo("MANIFEST_BLOB_UNKNOWN");
        assertThat(missing.text()).contains(child);

        push(repo, child, MediaTypes.OCI_MANIFEST, image);
        String digest = push(repo, "multi", MediaTypes.OCI_INDEX, index);
        Resp get = get(
                "/v2/" + repo + "/manifests/multi", "Accept", MediaTypes.OCI_MANIFEST + ", " + MediaTypes.OCI_INDEX);
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.header("Content-Type")).isEqualTo(MediaTypes.OCI_INDEX);
        assertThat(get.header("Docker-Content-Digest")).isEqualTo(digest);
        assertThat(get.body()).isEqualTo(index);
    }

    @Test
    void dockerSchema2AndManifestListRoundTrip() {
        String repo = newRepo("docker");
        Map<String, Object> config =
                seedBlob(repo, MediaTypes.DOCKER_CONFIG, "{\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8));
        Map<String, Object> layer =
                seedBlob(repo, MediaTypes.DOCKER_LAYER_GZIP, "docker-layer".getBytes(StandardCharsets.UTF_8));
        byte[] manifest = imageManifest(MediaTypes.DOCKER_MANIFEST, config, List.of(layer), Map.of());
        String digest = push(repo, "amd64", MediaTypes.DOCKER_MANIFEST, manifest);

        Map<String, Object> entry = descriptor(MediaTypes.DOCKER_MANIFEST, digest, manifest.length);
        entry.put("platform", Map.of("os", "linux", "architecture", "amd64"));
        byte[] list = index(MediaTypes.DOCKER_MANIFEST_LIST, List.of(entry), Map.of());
        String listDigest = push(repo, "latest", MediaTypes.DOCKER_MANIFEST_LIST, list);

        Resp m = get("/v2/" + repo + "/manifests/amd64", "Accept", MediaTypes.DOCKER_MANIFEST);
        assertThat(m.header("Content-Type")).isEqualTo(MediaTypes.DOCKER_MANIFEST);
        assertThat(m.body()).isEqualTo(manifest);
        Resp l = get(
                "/v2/" + repo + "/manifests/" + listDigest,
                "Accept",
                MediaTypes.DOCKER_MANIFEST_LIST,
                "Accept",
                MediaTypes.DOCKER_MANIFEST);
        assertThat(l.status()).isEqualTo(200);
        assertThat(l.header("Content-Type")).isEqualTo(MediaTypes.DOCKER_MANIFEST_LIST);
        assertThat(l.body()).isEqualTo(list);
    }

    @Test
    void artifactWithCustomConfigTypeAndNoLayers() {
        String repo = newRepo("artifact");
        Map<String, Object> config =
                seedBlob(repo, "application/vnd.example.config.v1+json", "{\"k\":1}".getBytes(StandardCharsets.UTF_8));
        byte[] artifact = imageManifest(
                MediaTypes.OCI_MANIFEST, config, List.of(), Map.of("artifactType", "application/vnd.example.sbom.v1"));
        String digest = push(repo, "sbom", MediaTypes.OCI_MANIFEST, artifact);
        Resp get = get("/v2/" + repo + "/manifests/" + digest);
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.body()).isEqualTo(artifact);
    }

    @Test
    void manifestWithoutMediaTypeFieldKeepsTheDeclaredType() {
        String repo = newRepo("nomt");
        byte[] image = ociImage(repo);
        // Same manifest without the mediaType field: Content-Type decides, and is what GET answers with.
        Map<?, ?> tree =
                tools.jackson.databind.json.JsonMapper.builder().build().readValue(image, Map.class);
        tree.remove("mediaType");
        byte[] body = json(tree);
        push(repo, "v1", MediaTypes.OCI_MANIFEST, body);
        Resp get = get("/v2/" + repo + "/manifests/v1");
        assertThat(get.header("Content-Type")).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(get.body()).isEqualTo(body);
    }

    @Test
    void missingLayerIsManifestBlobUnknownNamingTheDigest() {
        String repo = newRepo("missing");
        Map<String, Object> config = seedBlob(repo, MediaTypes.OCI_CONFIG, "{}".getBytes(StandardCharsets.UTF_8));
        String ghost = sha256("never uploaded".getBytes(StandardCharsets.UTF_8));
        byte[] body = imageManifest(
                MediaTypes.OCI_MANIFEST, config, List.of(descriptor(MediaTypes.OCI_LAYER_GZIP, ghost, 14)), Map.of());
        Resp r = putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, body);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.errorCode()).isEqualTo("MANIFEST_BLOB_UNKNOWN");
        assertThat(strings(r.json().get("errors").get(0).get("detail").get("digests")))
                .containsExactly(ghost);
        // Nothing was stored: neither the tag nor the revision.
        assertThat(get("/v2/" + repo + "/manifests/v1").status()).isEqualTo(404);
        assertThat(get("/v2/" + repo + "/manifests/" + sha256(body)).status()).isEqualTo(404);
    }

    @Test
    void blobOfAnotherRepositoryDoesNotCount() {
        String owner = newRepo("owner");
        String other = newRepo("other");
        byte[] body = ociImage(owner);
        Resp r = putManifest(other, "v1", MediaTypes.OCI_MANIFEST, body);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.errorCode()).isEqualTo("MANIFEST_BLOB_UNKNOWN");
    }

    @Test
    void schema1IsRejectedClearly() {
        String repo = newRepo("schema1");
        byte[] body = ("{\"schemaVersion\":1,\"name\":\"" + repo + "\",\"tag\":\"v1\",\"fsLayers\":[],\"history\":[]}")
                .getBytes(StandardCharsets.UTF_8);
        Resp r = putManifest(repo, "v1", MediaTypes.DOCKER_SCHEMA1_SIGNED, body);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("MANIFEST_INVALID");
        assertThat(r.text()).contains("schema1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "[]", "{\"schemaVersion\":2}"})
    void malformedBodiesAreManifestInvalid(String body) {
        Resp r = putManifest(newRepo("bad"), "v1", MediaTypes.OCI_MANIFEST, body.getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).as("%s", r).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("MANIFEST_INVALID");
    }

    /** What a fuzzer found: numbers that overflow, are negative, floats or strings are 400s, never 500s. */
    @ParameterizedTest
    @ValueSource(strings = {"99999999999999999999", "-1", "1.5", "1e3", "\"2\"", "9223372036854775808"})
    void numericFieldsOutOfShapeAreManifestInvalid(String bad) {
        String repo = newRepo("numbers");
        String image = new String(ociImage(repo), StandardCharsets.UTF_8);
        String schemaVersion = image.replace("\"schemaVersion\":2", "\"schemaVersion\":" + bad);
        String layerSize = image.replaceFirst("(\"layers\":\\[\\{[^}]*\"size\":)\\d+", "$1" + bad);
        assertThat(layerSize).isNotEqualTo(image);
        for (String[] c :
                new String[][] {{schemaVersion, "schemaVersion must be the integer 2"}, {layerSize, "layers[0].size "}
                }) {
            Resp r = putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, c[0].getBytes(StandardCharsets.UTF_8));
            assertThat(r.status()).as("%s", r).isEqualTo(400);
            assertThat(r.errorCode()).isEqualTo("MANIFEST_INVALID");
            assertThat(r.json().get("errors").get(0).get("detail").asString()).startsWith(c[1]);
        }
    }

    @Test
    void oversizeManifestIs413WithDeclaredLengthOrChunked() {
        String repo = newRepo("big");
        byte[] body = new byte[4 * 1024 * 1024 + 1];
        Arrays.fill(body, (byte) ' ');
        Resp declared = putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, body);
        assertThat(declared.status()).isEqualTo(413);
        assertThat(declared.errorCode()).isEqualTo("MANIFEST_INVALID");

        // Without Content-Length the body is cut off at the limit instead of buffered whole.
        HttpRequest chunked = HttpRequest.newBuilder(
                        URI.create("http://localhost:" + port + "/v2/" + repo + "/manifests/v1"))
                .header("Content-Type", MediaTypes.OCI_MANIFEST)
                .timeout(TIMEOUT)
                .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofByteArray(body)))
                .build();
        Resp r = send(chunked);
        assertThat(r.status()).isEqualTo(413);
    }

    @Test
    void digestInUrlMustMatchBody() {
        String repo = newRepo("mismatch");
        byte[] body = ociImage(repo);
        String wrong = sha256("something else".getBytes(StandardCharsets.UTF_8));
        Resp r = putManifest(repo, wrong, MediaTypes.OCI_MANIFEST, body);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("DIGEST_INVALID");

        // Another algorithm in the URL is honoured: the body is hashed with it.
        String sha512 = dev.berth.oci.Digest.compute(dev.berth.oci.DigestAlgorithm.SHA512, body)
                .toString();
        Resp ok = putManifest(repo, sha512, MediaTypes.OCI_MANIFEST, body);
        assertThat(ok.status()).as("%s", ok).isEqualTo(201);
        assertThat(ok.header("Docker-Content-Digest")).isEqualTo(sha512);
        assertThat(get("/v2/" + repo + "/manifests/" + sha512).body()).isEqualTo(body);
    }

    @Test
    void severalTagsInOnePut() {
        String repo = newRepo("multitag");
        byte[] body = ociImage(repo);
        String digest = sha256(body);
        Resp r = send(
                "PUT",
                "/v2/" + repo + "/manifests/" + digest + "?tag=1.2.3&tag=1.2&tag=latest",
                body,
                "Content-Type",
                MediaTypes.OCI_MANIFEST);
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        assertThat(r.header("OCI-Tag")).isEqualTo("1.2.3, 1.2, latest");
        for (String tag : List.of("1.2.3", "1.2", "latest")) {
            assertThat(head("/v2/" + repo + "/manifests/" + tag).header("Docker-Content-Digest"))
                    .isEqualTo(digest);
        }

        Resp bad = send(
                "PUT",
                "/v2/" + repo + "/manifests/" + digest + "?tag=ok&tag=.bad",
                body,
                "Content-Type",
                MediaTypes.OCI_MANIFEST);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errorCode()).isEqualTo("TAG_INVALID");
        assertThat(head("/v2/" + repo + "/manifests/ok").status()).isEqualTo(404);
    }

    @Test
    void tagParametersAreBoundedPerPut() {
        String repo = newRepo("manytags");
        byte[] body = ociImage(repo);
        String digest = sha256(body);
        StringBuilder query = new StringBuilder();
        for (int i = 0; i <= 100; i++) {
            query.append(i == 0 ? '?' : '&').append("tag=t").append(i);
        }
        Resp tooMany = send(
                "PUT", "/v2/" + repo + "/manifests/" + digest + query, body, "Content-Type", MediaTypes.OCI_MANIFEST);
        assertThat(tooMany.status()).as("%s", tooMany).isEqualTo(400);
        assertThat(tooMany.errorCode()).isEqualTo("TAG_INVALID");
        assertThat(tooMany.text()).contains("at most 100");
        assertThat(head("/v2/" + repo + "/manifests/t0").status()).isEqualTo(404);

        String hundred = query.substring(0, query.lastIndexOf("&tag=t100"));
        Resp ok = send(
                "PUT", "/v2/" + repo + "/manifests/" + digest + hundred, body, "Content-Type", MediaTypes.OCI_MANIFEST);
        assertThat(ok.status()).as("%s", ok).isEqualTo(201);
        assertThat(head("/v2/" + repo + "/manifests/t99").header("Docker-Content-Digest"))
                .isEqualTo(digest);
    }

    @Test
    void acceptNegotiation() {
        String repo = newRepo("accept");
        byte[] body = ociImage(repo);
        push(repo, "v1", MediaTypes.OCI_MANIFEST, body);
        String path = "/v2/" + repo + "/manifests/v1";

        Resp refused = get(path, "Accept", MediaTypes.DOCKER_MANIFEST);
        assertThat(refused.status()).isEqualTo(404);
        assertThat(refused.errorCode()).isEqualTo("MANIFEST_UNKNOWN");
        assertThat(head(path, "Accept", MediaTypes.DOCKER_MANIFEST_LIST).status())
                .isEqualTo(404);

        assertThat(get(path).status()).isEqualTo(200);
        assertThat(get(path, "Accept", "*/*").status()).isEqualTo(200);
        assertThat(get(path, "Accept", MediaTypes.DOCKER_MANIFEST + ";q=0.9, " + MediaTypes.OCI_MANIFEST + ";q=0.5")
                        .status())
                .isEqualTo(200);
        assertThat(get(path, "Accept", MediaTypes.DOCKER_MANIFEST, "Accept", MediaTypes.OCI_MANIFEST)
                        .status())
                .isEqualTo(200);
    }

    @Test
    void deleteByTagRemovesOnlyTheTag() {
        String repo = newRepo("deltag");
        String digest = push(repo, "v1", MediaTypes.OCI_MANIFEST, ociImage(repo));
        Resp del = delete("/v2/" + repo + "/manifests/v1");
        assertThat(del.status()).isEqualTo(202);
        assertThat(get("/v2/" + repo + "/manifests/v1").status()).isEqualTo(404);
        assertThat(get("/v2/" + repo + "/manifests/" + digest).status()).isEqualTo(200);
        Resp again = delete("/v2/" + repo + "/manifests/v1");
        assertThat(again.status()).isEqualTo(404);
        assertThat(again.errorCode()).isEqualTo("MANIFEST_UNKNOWN");
    }

    @Test
    void deleteByDigestRemovesRevisionAndEveryTag() {
        String repo = newRepo("deldigest");
        byte[] body = ociImage(repo);
        String digest = sha256(body);
        send(
                "PUT",
                "/v2/" + repo + "/manifests/" + digest + "?tag=a&tag=b",
                body,
                "Content-Type",
                MediaTypes.OCI_MANIFEST);
        String other = push(repo, "c", MediaTypes.OCI_MANIFEST, ociImage(repo));

        assertThat(delete("/v2/" + repo + "/manifests/" + digest).status()).isEqualTo(202);
        assertThat(get("/v2/" + repo + "/manifests/" + digest).status()).isEqualTo(404);
        assertThat(get("/v2/" + repo + "/manifests/a").status()).isEqualTo(404);
        assertThat(get("/v2/" + repo + "/manifests/b").status()).isEqualTo(404);
        assertThat(strings(get("/v2/" + repo + "/tags/list").json().get("tags")))
                .containsExactly("c");
        assertThat(get("/v2/" + repo + "/manifests/" + other).status()).isEqualTo(200);
        assertThat(delete("/v2/" + repo + "/manifests/" + digest).errorCode()).isEqualTo("MANIFEST_UNKNOWN");
    }

    @Test
    void unknownRepositoryIsNameUnknown() {
        String repo = newRepo("ghost");
        Resp r = get("/v2/" + repo + "/manifests/latest");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.errorCode()).isEqualTo("NAME_UNKNOWN");
        assertThat(head("/v2/" + repo + "/manifests/latest").status()).isEqualTo(404);
        assertThat(delete("/v2/" + repo + "/manifests/latest").errorCode()).isEqualTo("NAME_UNKNOWN");
    }

    @Test
    void unknownManifestInKnownRepositoryIsManifestUnknown() {
        String repo = newRepo("known");
        push(repo, "v1", MediaTypes.OCI_MANIFEST, ociImage(repo));
        Resp r = get("/v2/" + repo + "/manifests/" + sha256("x".getBytes(StandardCharsets.UTF_8)));
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.errorCode()).isEqualTo("MANIFEST_UNKNOWN");
    }

    @Test
    void malformedReferencesAndNames() {
        String repo = newRepo("malformed");
        // A malformed digest is a 400, never a 500.
        Resp digest = get("/v2/" + repo + "/manifests/sha256:totallywrong");
        assertThat(digest.status()).isEqualTo(400);
        assertThat(digest.errorCode()).isEqualTo("DIGEST_INVALID");
        assertThat(get("/v2/" + repo + "/manifests/md5:abc").status()).isEqualTo(400);
        // No manifest can have an invalid tag: reads answer 404 (the conformance suite pulls such a name)...
        Resp read = get("/v2/" + repo + "/manifests/.INVALID_MANIFEST_NAME");
        assertThat(read.status()).isEqualTo(404);
        assertThat(read.errorCode()).isEqualTo("MANIFEST_UNKNOWN");
        // ...while a push to it is told why it fails.
        Resp put = putManifest(repo, "-bad", MediaTypes.OCI_MANIFEST, ociImage(repo));
        assertThat(put.status()).isEqualTo(400);
        assertThat(put.errorCode()).isEqualTo("TAG_INVALID");
        Resp name = get("/v2/Bad_Name/manifests/latest");
        assertThat(name.status()).isEqualTo(400);
        assertThat(name.errorCode()).isEqualTo("NAME_INVALID");
    }
}
