package dev.berth.registry.it;

import dev.berth.storage.s3.CephCluster;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Nested;

/**
 * The replica pair on Ceph's RADOS Gateway 16 ({@link CephCluster}, one per test JVM), once over plain HTTP and
 * once over HTTPS with the gateway's self-signed certificate as {@code berth.storage.s3.ca-certificate}. Each
 * replica runs the start-up compatibility check against the gateway.
 */
class CephReplicasIT {

    static Map<String, String> cephProperties(boolean https) throws Exception {
        CephCluster ceph = CephCluster.shared();
        Map<String, String> properties = new HashMap<>(Map.of(
                "berth.storage.s3.bucket", CephCluster.BUCKET,
                "berth.storage.s3.region", CephCluster.REGION,
                "berth.storage.s3.endpoint", ceph.endpoint(https).toString(),
                "berth.storage.s3.path-style-access", "true",
                "berth.storage.s3.access-key", CephCluster.ACCESS_KEY,
                "berth.storage.s3.secret-key", CephCluster.SECRET_KEY));
        if (https) {
            properties.put(
                    "berth.storage.s3.ca-certificate", ceph.caCertificate().toString());
        }
        return properties;
    }

    @Nested
    class OverHttp extends ReplicaPairTests {
        @Override
        Map<String, String> s3Properties() throws Exception {
            return cephProperties(false);
        }

        @Override
        String rootPrefix() {
            return "replicas-http";
        }
    }

    @Nested
    class OverHttps extends ReplicaPairTests {
        @Override
        Map<String, String> s3Properties() throws Exception {
            return cephProperties(true);
        }

        @Override
        String rootPrefix() {
            return "replicas-https";
        }
    }
}
