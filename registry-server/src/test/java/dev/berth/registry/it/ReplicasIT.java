package dev.berth.registry.it;

import dev.berth.storage.s3.S3ProxyExtension;
import dev.berth.storage.s3.S3ProxyServer;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The replica pair on S3Proxy in this JVM (see {@link ReplicaPairTests}). */
class ReplicasIT extends ReplicaPairTests {
    @RegisterExtension
    static final S3ProxyExtension S3 = S3ProxyExtension.filesystem();

    @Override
    Map<String, String> s3Properties() {
        S3ProxyServer s3 = S3.server();
        return Map.of(
                "berth.storage.s3.bucket", s3.bucket(),
                "berth.storage.s3.region", s3.region(),
                "berth.storage.s3.endpoint", s3.endpoint().toString(),
                "berth.storage.s3.path-style-access", "true",
                "berth.storage.s3.access-key", s3.accessKey(),
                "berth.storage.s3.secret-key", s3.secretKey());
    }

    @Override
    String rootPrefix() {
        return "replicas";
    }
}
