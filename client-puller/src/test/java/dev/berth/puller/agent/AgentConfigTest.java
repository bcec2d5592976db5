package dev.berth.puller.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.puller.store.FsUtil;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The agent's YAML is strict: a misspelt key is a start-up error, not a silently kept default. */
class AgentConfigTest {
    private Path dir;

    @BeforeEach
    void dir() throws IOException {
        dir = Files.createTempDirectory("berth-agent-config");
    }

    @AfterEach
    void clean() throws IOException {
        FsUtil.deleteTree(dir);
    }

    private Path write(String yaml) throws IOException {
        Path f = dir.resolve("agent.yml");
        Files.writeString(f, "images:\n  - 127.0.0.1:5000/team/app:1\n" + yaml);
        return f;
    }

    @Test
    void snakeCaseKeyIsRejectedWithTheFileAndTheKeyItMeant() throws IOException {
        Path f = write("refresh_interval: 5s\n");
        assertThatThrownBy(() -> AgentConfig.load(f))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("unknown key 'refresh_interval'")
                .hasMessageContaining("did you mean 'refreshInterval'?");
    }

    @Test
    void wrongCaseKeyIsRejected() throws IOException {
        Path f = write("diskbudget: 1MiB\n");
        assertThatThrownBy(() -> AgentConfig.load(f))
                .hasMessageContaining("unknown key 'diskbudget'")
                .hasMessageContaining("did you mean 'diskBudget'?");
    }

    @Test
    void unknownKeyWithoutANeighbourListsTheValidOnes() throws IOException {
        Path f = write("colour: blue\n");
        assertThatThrownBy(() -> AgentConfig.load(f))
                .hasMessageContaining("unknown key 'colour'")
                .hasMessageNotContaining("did you mean")
                .hasMessageContaining("valid keys: root, images, refreshInterval");
    }

    @Test
    void snapshotterSectionIsStrictToo() throws IOException {
        Path f = write("snapshotter:\n  adress: /run/x.sock\n");
        assertThatThrownBy(() -> AgentConfig.load(f))
                .hasMessageContaining("unknown key 'snapshotter.adress' (did you mean 'snapshotter.address'?)");
    }

    @Test
    void everyDocumentedKeyLoads() throws IOException {
        AgentConfig c = AgentConfig.load(write("""
                root: /tmp/berth-root
                refreshInterval: 5s
                concurrency: 3
                parallel: 4
                diskBudget: 1MiB
                listen: 127.0.0.1:0
                platform: linux/arm64
                plainHttp: true
                insecure: true
                caFile: /etc/ca.pem
                snapshotter:
                  address: /run/x.sock
                  enabled: true
                  pullMissing: true
                """));
        assertThat(c.refreshInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.diskBudget()).isEqualTo(1024 * 1024);
        assertThat(c.concurrency()).isEqualTo(3);
        assertThat(c.snapshotter()).isEqualTo(Path.of("/run/x.sock"));
        assertThat(c.pullMissing()).isTrue();
    }
}
