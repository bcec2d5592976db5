package dev.berth.puller.mount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.oci.ImageConfig;
import dev.berth.oci.OciJson;
import dev.berth.unionfs.bundle.ProcessSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageProcessTest {
    @TempDir
    Path rootfs;

    private static ImageConfig config(String execution) {
        return OciJson.mapper()
                .readValue(
                        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":" + execution
                                + ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
                        ImageConfig.class);
    }

    @Test
    void entrypointThenCmdWithDefaultPathAndEngineCapabilities() throws IOException {
        ProcessSpec p = ImageProcess.of(
                config("{\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":[\"echo hi\"],"
                        + "\"Env\":[\"A=1\"],\"WorkingDir\":\"/srv\"}"),
                rootfs,
                "h");
        assertThat(p.args()).containsExactly("/bin/sh", "-c", "echo hi");
        assertThat(p.env()).containsExactly(ProcessSpec.DEFAULT_PATH, "A=1");
        assertThat(p.cwd()).isEqualTo("/srv");
        assertThat(p.uid()).isZero();
        assertThat(p.hostname()).isEqualTo("h");
        assertThat(p.capabilities()).isEqualTo(ProcessSpec.CONTAINER_ENGINE_CAPABILITIES);
    }

    @Test
    void userNamesResolveAgainstTheImagesOwnFiles() throws IOException {
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/app:/bin/sh\n");
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nstaff:x:50:\n");
        assertThat(ImageProcess.of(config("{\"Cmd\":[\"x\"],\"User\":\"app\"}"), rootfs, "h")
                        .gid())
                .isEqualTo(1001);
        ProcessSpec p = ImageProcess.of(config("{\"Cmd\":[\"x\"],\"User\":\"1000:staff\"}"), rootfs, "h");
        assertThat(p.uid()).isEqualTo(1000);
        assertThat(p.gid()).isEqualTo(50);
        assertThatThrownBy(() -> ImageProcess.of(config("{\"Cmd\":[\"x\"],\"User\":\"nobody\"}"), rootfs, "h"))
                .hasMessageContaining("not in the image's /etc/passwd");
    }

    @Test
    void nothingToRunIsAnError() {
        assertThatThrownBy(() -> ImageProcess.of(config("{}"), rootfs, "h"))
                .hasMessageContaining("neither Entrypoint nor Cmd");
    }
}
