package dev.berth.registry.it;

import dev.berth.storage.s3.S3ProxyServer;
import java.util.Map;

/** The replica pair on S3Proxy in this JVM (see {@link ReplicaPairTests}). */
class ReplicasIT extends ReplicaPairTests {
    private S3ProxyServer s3;

    @Override
    Map<String, String> s3Properties() throws Exception {
        s3 = S3ProxyServer.launch();
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

    @Override
    void stopS3() throws Exception {
        if (s3 != null) {
            s3.close();
        }
    }
}
