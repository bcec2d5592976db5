package dev.berth.oci;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "library/ubuntu", "a/b/c", "my-app", "my__app", "a.b", "a---b", "0"})
    void validRepositories(String name) {
        assertThat(Names.isRepository(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "A", "a/", "/a", "a//b", "-a", "a_", "a___b", "a/_manifests", "a/.."})
    void invalidRepositories(String name) {
        assertThat(Names.isRepository(name)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"latest", "v1.2.3", "_x", "A-b_c.d"})
    void validTags(String tag) {
        assertThat(Names.isTag(tag)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".INVALID_MANIFEST_NAME", "-x", "a/b", "a:b"})
    void invalidTags(String tag) {
        assertThat(Names.isTag(tag)).isFalse();
    }

    @org.junit.jupiter.api.Test
    void tagsAreAtMost128Characters() {
        assertThat(Names.isTag("a".repeat(128))).isTrue();
        assertThat(Names.isTag("a".repeat(129))).isFalse();
        assertThat(Names.isRepository("a".repeat(Names.MAX_REPOSITORY_LENGTH + 1)))
                .isFalse();
    }
}
