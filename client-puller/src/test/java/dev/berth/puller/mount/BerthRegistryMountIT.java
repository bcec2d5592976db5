package dev.berth.puller.mount;

import dev.berth.puller.testing.TestRegistry;
import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.BeforeAll;

/**
 * Every {@link MountTest} case, pulling from Berth's own registry instead of the CNCF one: the umoci
 * equivalence, single-layer bind mounts, writable mounts and the runc bundle.
 */
class BerthRegistryMountIT extends MountTest {

    @BeforeAll
    static void start() throws IOException {
        work = Files.createTempDirectory("berth-mount-it");
        startWith(TestRegistry.startBerth(work.resolve("registry")));
    }
}
