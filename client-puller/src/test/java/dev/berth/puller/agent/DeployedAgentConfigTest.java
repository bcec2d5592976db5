package dev.berth.puller.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The agent configuration shipped for docker-compose must load as the agent reads it. */
class DeployedAgentConfigTest {
    @Test
    void composeAgentConfigLoads() throws Exception {
        AgentConfig config = AgentConfig.load(Path.of("..", "deploy", "agent.yml"));
        assertThat(config.images()).hasSize(1);
        assertThat(config.images().get(0).registry()).isEqualTo("berth:5000");
        assertThat(config.plainHttp()).isTrue();
        assertThat(config.root()).isEqualTo(Path.of("/var/lib/berth"));
        // Unauthenticated endpoints stay on loopback unless the operator opens them.
        assertThat(config.listenHost()).isEqualTo("127.0.0.1");
    }
}
