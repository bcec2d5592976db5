package dev.berth.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImageReferenceTest {
    static final String DIGEST = "sha256:" + "a".repeat(64);

    @Test
    void shortNamesMeanDockerHubLibraryLatest() {
        ImageReference r = ImageReference.parse("ubuntu");
        assertThat(r.registry()).isEqualTo("docker.io");
        assertThat(r.repository()).isEqualTo("library/ubuntu");
        assertThat(r).hasToString("docker.io/library/ubuntu:latest");
        assertThat(ImageReference.endpoint(r.registry())).isEqualTo(ImageReference.DOCKER_HUB);
        assertThat(ImageReference.parse("user/img")).hasToString("docker.io/user/img:latest");
        // Docker Hub's other names are the same registry.
        assertThat(ImageReference.parse("index.docker.io/library/ubuntu")).isEqualTo(r);
        assertThat(ImageReference.parse("docker.io/ubuntu")).isEqualTo(r);
        assertThat(r.tag()).isEqualTo("latest");
        assertThat(r.manifestReference()).isEqualTo("latest");
    }

    @Test
    void registryHostPortTagAndDigest() {
        ImageReference r = ImageReference.parse("localhost:5000/team/app:1.0@" + DIGEST);
        assertThat(r.registry()).isEqualTo("localhost:5000");
        assertThat(r.repository()).isEqualTo("team/app");
        assertThat(r.tag()).isEqualTo("1.0");
        assertThat(r.digest()).hasToString(DIGEST);
        assertThat(r.manifestReference()).isEqualTo(DIGEST);
        assertThat(r).hasToString("localhost:5000/team/app:1.0@" + DIGEST);
    }

    @Test
    void firstComponentWithoutDotOrColonIsARepositoryPath() {
        ImageReference r = ImageReference.parse("team/app@" + DIGEST);
        assertThat(r.registry()).isEqualTo(ImageReference.DOCKER_IO);
        assertThat(r.repository()).isEqualTo("team/app");
        assertThat(r.tag()).isNull();
        assertThat(ImageReference.parse("Registry.Example.com/x").registry()).isEqualTo("registry.example.com");
    }

    @Test
    void rejectsInvalidNamesTagsAndDigests() {
        assertThatThrownBy(() -> ImageReference.parse("Bad/Name")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ImageReference.parse("app:-tag")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ImageReference.parse("app@sha256:nothex")).isInstanceOf(InvalidDigestException.class);
    }
}
