package dev.berth.unionfs.mount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MountPlannerTest {

    private final MountPlanner planner = new MountPlanner();
    private final Path target = Path.of("/run/berth/c1/rootfs");

    @Test
    void singleLayerWithoutUpperIsAReadOnlyBind() {
        MountSpec spec = planner.readOnly(List.of(Path.of("/var/lib/berth/overlay2/abc/diff")), target);
        assertThat(spec.type()).isEqualTo("bind");
        assertThat(spec.source()).isEqualTo("/var/lib/berth/overlay2/abc/diff");
        assertThat(spec.flags()).containsExactlyInAnyOrder(MountFlag.BIND, MountFlag.RDONLY);
        assertThat(spec.options()).isEmpty();
    }

    @Test
    void severalLayersAreAReadOnlyOverlayTopmostFirst() {
        MountSpec spec = planner.readOnly(List.of(Path.of("/l/top"), Path.of("/l/mid"), Path.of("/l/base")), target);
        assertThat(spec.type()).isEqualTo("overlay");
        assertThat(spec.data()).isEqualTo("lowerdir=/l/top:/l/mid:/l/base");
        assertThat(spec.readOnly()).isTrue();
        assertThat(spec.workingDirectory()).isEmpty();
    }

    @Test
    void writableOverlayHasUpperAndWork() {
        MountSpec spec = planner.writable(List.of(Path.of("/l/base")), Path.of("/c/upper"), Path.of("/c/work"), target);
        assertThat(spec.data()).isEqualTo("lowerdir=/l/base,upperdir=/c/upper,workdir=/c/work");
        assertThat(spec.readOnly()).isFalse();
    }

    @Test
    void noLowerButUpperIsAWritableBind() {
        MountSpec spec =
                planner.plan(List.of(), Optional.of(Path.of("/c/upper")), Optional.of(Path.of("/c/work")), target);
        assertThat(spec.type()).isEqualTo("bind");
        assertThat(spec.flags()).containsExactly(MountFlag.BIND);
    }

    @Test
    void rejectsWhatCannotBeMounted() {
        assertThatThrownBy(() -> planner.readOnly(List.of(), target)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() ->
                        planner.plan(List.of(Path.of("/a")), Optional.of(Path.of("/u")), Optional.empty(), target))
                .hasMessageContaining("together");
        assertThatThrownBy(() -> planner.readOnly(List.of(Path.of("/a:b"), Path.of("/c")), target))
                .hasMessageContaining("cannot be used");
    }

    @Test
    void longChainsFallBackToPathsRelativeToTheLinkRoot() {
        Path root = Path.of("/var/lib/berth/overlay2");
        List<Path> links = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            links.add(root.resolve("l/" + String.format("%026d", i)));
        }
        assertThatThrownBy(() -> planner.readOnly(links, target)).hasMessageContaining("more than a page");

        MountSpec spec = planner.withLinkRoot(root).readOnly(links, target);

        assertThat(spec.workingDirectory()).contains(root);
        assertThat(spec.data()).startsWith("lowerdir=l/" + String.format("%026d", 0) + ":l/");
        assertThat(spec.dataLength()).isLessThan(MountPlanner.DEFAULT_PAGE_SIZE);
    }

    @Test
    void shortChainsKeepAbsolutePathsEvenWithALinkRoot() {
        Path root = Path.of("/var/lib/berth/overlay2");
        MountSpec spec = planner.withLinkRoot(root).readOnly(List.of(root.resolve("l/A"), root.resolve("l/B")), target);
        assertThat(spec.workingDirectory()).isEmpty();
        assertThat(spec.data()).isEqualTo("lowerdir=/var/lib/berth/overlay2/l/A:/var/lib/berth/overlay2/l/B");
    }

    @Test
    void parsesMountinfo() {
        List<MountTable.Entry> entries = MountTable.parse(List.of(
                "36 35 98:0 /mnt1 /mnt\\040with\\040space rw,noatime master:1 - ext3 /dev/root rw,errors=continue",
                "40 36 0:50 / /run/berth/c1/rootfs ro,relatime - overlay overlay ro,lowerdir=l/A:l/B"));
        assertThat(entries.get(0).mountPoint()).isEqualTo(Path.of("/mnt with space"));
        assertThat(entries.get(0).fsType()).isEqualTo("ext3");
        assertThat(entries.get(0).source()).isEqualTo("/dev/root");
        assertThat(entries.get(1).superOptions()).isEqualTo("ro,lowerdir=l/A:l/B");
        assertThat(entries.get(1).parentId()).isEqualTo(36);
    }
}
