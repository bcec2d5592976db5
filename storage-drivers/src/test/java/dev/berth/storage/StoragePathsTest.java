package dev.berth.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class StoragePathsTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/",
                "/a",
                "/a/b/c",
                "/docker/registry/v2/blobs/sha256/ab/abcdef0123/data",
                "/repositories/library/ubuntu/_manifests/tags/22.04/current/link",
                "/_uploads/0f-1e.2d:3c@4b",
                "/...",
                "/.hidden",
                "/a..b",
                "/x..",
                "/-",
                "/ABC/xyz/0189"
            })
    void acceptsCleanAbsolutePaths(String path) throws Exception {
        assertThat(StoragePaths.check(path)).isSameAs(path);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(
            strings = {
                "a",
                "a/b",
                "./a",
                "/a/",
                "//",
                "//a",
                "/a//b",
                "/.",
                "/..",
                "/a/.",
                "/a/..",
                "/a/./b",
                "/a/../b",
                "/../etc/passwd",
                "/a b",
                " /a",
                "/a\t",
                "/a\n",
                "/a\r\n",
                "/a\u0000",
                "/caf\u00e9",
                "/\u0430",
                "/a\\b",
                "/a?b",
                "/a#b",
                "/a%2e",
                "/a+b",
                "/a~",
                "/a*",
                "/a|b",
                "/a,b",
                "/a;b",
                "/a=b",
                "/a'b",
                "/a\"b",
                "/a<b>",
                "/a!",
                "/a$",
                "/a&b",
                "/a(b)",
                "/a[b]",
                "/a{b}",
                "/a^b",
                "/a`b"
            })
    void rejectsEverythingElse(String path) {
        assertThatThrownBy(() -> StoragePaths.check(path))
                .isInstanceOf(InvalidPathException.class)
                .hasMessageContaining(String.valueOf(path))
                .satisfies(e -> assertThat(((InvalidPathException) e).path()).isEqualTo(String.valueOf(path)));
    }

    @Test
    void theRootIsADirectoryNeverAnObject() throws Exception {
        assertThat(StoragePaths.checkObject("/a")).isEqualTo("/a");
        assertThatThrownBy(() -> StoragePaths.checkObject("/")).isInstanceOf(InvalidPathException.class);
        assertThatThrownBy(() -> StoragePaths.checkObject("/a/")).isInstanceOf(InvalidPathException.class);
        assertThatThrownBy(() -> StoragePaths.checkObject(null)).isInstanceOf(InvalidPathException.class);
    }

    @Test
    void parentAndChildAreInverse() {
        assertThat(StoragePaths.parent("/a/b/c")).isEqualTo("/a/b");
        assertThat(StoragePaths.parent("/a")).isEqualTo("/");
        assertThat(StoragePaths.parent("/")).isEqualTo("/");
        assertThat(StoragePaths.child("/", "a")).isEqualTo("/a");
        assertThat(StoragePaths.child("/a/b", "c")).isEqualTo("/a/b/c");
        assertThat(StoragePaths.child(StoragePaths.parent("/x/y"), "y")).isEqualTo("/x/y");
    }
}
