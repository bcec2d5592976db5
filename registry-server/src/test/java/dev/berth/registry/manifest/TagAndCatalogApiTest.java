package dev.berth.registry.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.MediaTypes;
import dev.berth.registry.testing.Resp;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code /v2/<name>/tags/list} and {@code /v2/_catalog}: order, pagination and errors. */
class TagAndCatalogApiTest extends ApiTestSupport {

    @Test
    void tagsAreListedInAsciiOrder() {
        String repo = newRepo("tags");
        byte[] body = ociImage(repo);
        for (String tag : List.of("b", "TEST1", "a", "test0", "A_1", "1.0")) {
            push(repo, tag, MediaTypes.OCI_MANIFEST, body);
        }
        Resp r = get("/v2/" + repo + "/tags/list");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(r.json().get("name").asString()).isEqualTo(repo);
        assertThat(strings(r.json().get("tags"))).containsExactly("1.0", "A_1", "TEST1", "a", "b", "test0");
        assertThat(r.header("Link")).isNull();
    }

    @Test
    void tagPaginationFollowsLinkHeaders() {
        String repo = newRepo("pages");
        byte[] body = ociImage(repo);
        List<String> expected = List.of("t0", "t1", "t2", "t3", "t4");
        for (String tag : expected) {
            push(repo, tag, MediaTypes.OCI_MANIFEST, body);
        }
        List<String> seen = new ArrayList<>();
        String next = "/v2/" + repo + "/tags/list?n=2";
        int pages = 0;
        while (next != null) {
            Resp r = get(next);
            assertThat(r.status()).isEqualTo(200);
            List<String> tags = strings(r.json().get("tags"));
            assertThat(tags.size()).isLessThanOrEqualTo(2);
            seen.addAll(tags);
            next = r.header("Link") == null ? null : linkTarget(r.header("Link"));
            pages++;
        }
        assertThat(seen).isEqualTo(expected);
        assertThat(pages).isEqualTo(3);

        assertThat(linkTarget(get("/v2/" + repo + "/tags/list?n=2").header("Link")))
                .isEqualTo("/v2/" + repo + "/tags/list?n=2&last=t1");
        assertThat(strings(get("/v2/" + repo + "/tags/list?n=2&last=t1").json().get("tags")))
                .containsExactly("t2", "t3");
        assertThat(strings(get("/v2/" + repo + "/tags/list?last=t2").json().get("tags")))
                .containsExactly("t3", "t4");
        // Exactly n left: no Link promising more.
        assertThat(get("/v2/" + repo + "/tags/list?n=5").header("Link")).isNull();

        Resp zero = get("/v2/" + repo + "/tags/list?n=0");
        assertThat(zero.status()).isEqualTo(200);
        assertThat(strings(zero.json().get("tags"))).isEmpty();
        assertThat(zero.header("Link")).isNull();
    }

    @Test
    void invalidPaginationNumberIs400() {
        String repo = newRepo("badn");
        push(repo, "v1", MediaTypes.OCI_MANIFEST, ociImage(repo));
        for (String n : List.of("-1", "abc", "1.5")) {
            Resp r = get("/v2/" + repo + "/tags/list?n=" + n);
            assertThat(r.status()).as(n).isEqualTo(400);
            assertThat(r.errorCode()).isEqualTo("PAGINATION_NUMBER_INVALID");
        }
        assertThat(get("/v2/_catalog?n=-3").errorCode()).isEqualTo("PAGINATION_NUMBER_INVALID");
    }

    @Test
    void tagsOfUnknownRepositoryIsNameUnknown() {
        Resp r = get("/v2/" + newRepo("none") + "/tags/list");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.errorCode()).isEqualTo("NAME_UNKNOWN");
    }

    @Test
    void repositoryWhoseTagsWereDeletedListsNone() {
        String repo = newRepo("emptied");
        push(repo, "v1", MediaTypes.OCI_MANIFEST, ociImage(repo));
        assertThat(delete("/v2/" + repo + "/manifests/v1").status()).isEqualTo(202);
        Resp r = get("/v2/" + repo + "/tags/list");
        assertThat(r.status()).isEqualTo(200);
        assertThat(strings(r.json().get("tags"))).isEmpty();
    }

    @Test
    void catalogListsRepositoriesWithManifestsInOrderAndPaginates() {
        // Unique prefix: other tests share the storage root and add repositories of their own.
        String prefix = "cat" + System.nanoTime();
        List<String> names = List.of(prefix + "/a", prefix + "/a/b", prefix + "/a-b", prefix + "/z");
        for (String name : names) {
            push(name, "v1", MediaTypes.OCI_MANIFEST, ociImage(name));
        }
        // Blob links alone do not make a repository appear.
        seedBlob(prefix + "/onlyblobs", MediaTypes.OCI_LAYER_GZIP, "x".getBytes());

        List<String> all = new ArrayList<>();
        String next = "/v2/_catalog?n=3";
        while (next != null) {
            Resp r = get(next);
            assertThat(r.status()).isEqualTo(200);
            List<String> page = strings(r.json().get("repositories"));
            assertThat(page.size()).isLessThanOrEqualTo(3);
            all.addAll(page);
            next = r.header("Link") == null ? null : linkTarget(r.header("Link"));
        }
        assertThat(all).isSorted().doesNotHaveDuplicates();
        assertThat(all.stream().filter(n -> n.startsWith(prefix)).toList())
                .containsExactly(prefix + "/a", prefix + "/a-b", prefix + "/a/b", prefix + "/z");

        Resp after = get("/v2/_catalog?n=2&last=" + prefix + "/a");
        assertThat(strings(after.json().get("repositories"))).containsExactly(prefix + "/a-b", prefix + "/a/b");
        assertThat(strings(get("/v2/_catalog?n=0").json().get("repositories"))).isEmpty();
    }

    @Test
    void repositoryLeavesCatalogWhenItsLastManifestIsDeleted() {
        String repo = "gone" + System.nanoTime() + "/x";
        String digest = push(repo, "v1", MediaTypes.OCI_MANIFEST, ociImage(repo));
        assertThat(strings(get("/v2/_catalog").json().get("repositories"))).contains(repo);
        assertThat(delete("/v2/" + repo + "/manifests/" + digest).status()).isEqualTo(202);
        assertThat(strings(get("/v2/_catalog").json().get("repositories"))).doesNotContain(repo);
    }
}
