package dev.berth.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PlatformTest {

    @Test
    void parsesOsArchAndVariant() {
        Platform p = Platform.parse("linux/arm64/v8");
        assertThat(p.os()).isEqualTo("linux");
        assertThat(p.architecture()).isEqualTo("arm64");
        assertThat(p.variant()).isEqualTo("v8");
        assertThat(p).hasToString("linux/arm64/v8");
        assertThat(Platform.parse("linux/amd64")).hasToString("linux/amd64");
    }

    @Test
    void rejectsMalformed() {
        for (String bad : new String[] {"linux", "linux/", "/amd64", "a/b/c/d"}) {
            assertThatThrownBy(() -> Platform.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void matchingHonoursVariantsAndArm64Default() {
        assertThat(Platform.parse("linux/amd64").accepts(Platform.of("linux", "amd64", null)))
                .isTrue();
        assertThat(Platform.parse("linux/amd64").accepts(Platform.of("windows", "amd64", null)))
                .isFalse();
        assertThat(Platform.parse("linux/arm/v7").accepts(Platform.of("linux", "arm", "v6")))
                .isFalse();
        assertThat(Platform.parse("linux/arm64/v8").accepts(Platform.of("linux", "arm64", null)))
                .isTrue();
        assertThat(Platform.parse("linux/arm64").accepts(Platform.of("linux", "arm64", "v8")))
                .isTrue();
        assertThat(Platform.parse("linux/amd64").accepts(null)).isFalse();
    }
}
