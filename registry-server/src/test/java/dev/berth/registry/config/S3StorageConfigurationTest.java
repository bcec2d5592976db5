package dev.berth.registry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.storage.s3.S3DriverConfig;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** {@code berth.storage.s3.*} as properties and as environment variables, mapped onto {@link S3DriverConfig}. */
class S3StorageConfigurationTest {

    /** The environment variables the root {@code docker-compose.yml} gives its replicas must all bind. */
    @Test
    void everyVariableOfTheComposeFileBinds() throws IOException {
        Map<String, Object> env = composeEnvironment(Path.of("../docker-compose.yml"));
        assertThat(env)
                .containsOnlyKeys(
                        "BERTH_STORAGE_DRIVER",
                        "BERTH_STORAGE_S3_BUCKET",
                        "BERTH_STORAGE_S3_REGION",
                        "BERTH_STORAGE_S3_ENDPOINT",
                        "BERTH_STORAGE_S3_PATH_STYLE_ACCESS",
                        "BERTH_STORAGE_S3_ACCESS_KEY",
                        "BERTH_STORAGE_S3_SECRET_KEY");
        SystemEnvironmentPropertySource source = new SystemEnvironmentPropertySource("systemEnvironment", env);

        assertThat(bind(source, "berth", BerthProperties.class).getStorage().getDriver())
                .isEqualTo(env.get("BERTH_STORAGE_DRIVER"));
        S3DriverConfig config = s3(source).toDriverConfig();
        assertThat(config.bucket()).isEqualTo(env.get("BERTH_STORAGE_S3_BUCKET"));
        assertThat(config.region()).isEqualTo(env.get("BERTH_STORAGE_S3_REGION"));
        assertThat(config.endpoint()).isEqualTo(URI.create((String) env.get("BERTH_STORAGE_S3_ENDPOINT")));
        assertThat(config.pathStyleAccess())
                .isEqualTo(Boolean.parseBoolean((String) env.get("BERTH_STORAGE_S3_PATH_STYLE_ACCESS")));
        assertThat(config.accessKey()).isEqualTo(env.get("BERTH_STORAGE_S3_ACCESS_KEY"));
        assertThat(config.secretKey()).isEqualTo(env.get("BERTH_STORAGE_S3_SECRET_KEY"));
    }

    @Test
    void everyPropertyMapsOntoTheDriverConfig() {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("berth.storage.s3.bucket", "images");
        props.put("berth.storage.s3.region", "eu-west-3");
        props.put("berth.storage.s3.root-prefix", "/prod/registry/");
        props.put("berth.storage.s3.part-size", "16MB");
        props.put("berth.storage.s3.server-side-encryption", "kms");
        props.put("berth.storage.s3.kms-key-id", "arn:aws:kms:eu-west-3:1:key/abc");
        props.put("berth.storage.s3.storage-class", "STANDARD_IA");
        props.put("berth.storage.s3.redirect", "true");
        props.put("berth.storage.s3.redirect-validity", "1h");
        props.put("berth.storage.s3.max-retries", "7");
        props.put("berth.storage.s3.retry-base-delay", "50ms");
        props.put("berth.storage.s3.retry-max-delay", "2s");
        props.put("berth.storage.s3.connect-timeout", "3s");
        props.put("berth.storage.s3.socket-timeout", "30s");
        props.put("berth.storage.s3.upload-claim-lease", "5m");
        props.put("berth.storage.s3.ca-certificate", "/etc/berth/s3-ca.pem");

        S3DriverConfig config = s3(new MapPropertySource("test", props)).toDriverConfig();

        assertThat(config.region()).isEqualTo("eu-west-3");
        assertThat(config.endpoint()).isNull();
        assertThat(config.pathStyleAccess()).isFalse();
        assertThat(config.accessKey()).as("default credential chain").isNull();
        assertThat(config.rootPrefix()).isEqualTo("prod/registry");
        assertThat(config.partSize()).isEqualTo(16L * 1024 * 1024);
        assertThat(config.serverSideEncryption()).isEqualTo(S3DriverConfig.ServerSideEncryption.KMS);
        assertThat(config.kmsKeyId()).isEqualTo("arn:aws:kms:eu-west-3:1:key/abc");
        assertThat(config.storageClass()).isEqualTo("STANDARD_IA");
        assertThat(config.redirect()).isTrue();
        assertThat(config.redirectValidity()).isEqualTo(Duration.ofHours(1));
        assertThat(config.maxRetries()).isEqualTo(7);
        assertThat(config.retryBaseDelay()).isEqualTo(Duration.ofMillis(50));
        assertThat(config.retryMaxDelay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.socketTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.uploadClaimLease()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.caCertificate()).isEqualTo(Path.of("/etc/berth/s3-ca.pem"));
    }

    @Test
    void invalidSettingsFailAtStartupNamingTheProperty() {
        assertThatThrownBy(() -> S3Properties.unset().toDriverConfig()).hasMessageContaining("berth.storage.s3.bucket");
        assertThatThrownBy(() -> s3(new MapPropertySource(
                                "test", Map.of("berth.storage.s3.bucket", "b", "berth.storage.s3.part-size", "1MB")))
                        .toDriverConfig())
                .hasMessageContaining("berth.storage.s3")
                .hasMessageContaining("partSize");
        assertThatThrownBy(() -> s3(new MapPropertySource(
                                "test",
                                Map.of("berth.storage.s3.bucket", "b", "berth.storage.s3.access-key", "only-the-key")))
                        .toDriverConfig())
                .hasMessageContaining("secretKey");
        assertThatThrownBy(() -> s3(new MapPropertySource(
                                "test", Map.of("berth.storage.s3.bucket", "b", "berth.storage.s3.kms-key-id", "k")))
                        .toDriverConfig())
                .hasMessageContaining("server-side-encryption=kms");
    }

    /**
     * One configuration model: the properties are the driver's configuration, name for name (plus the start-up
     * check's switch), so no setting can be added to one and forgotten in the other.
     */
    @Test
    void thePropertiesAreTheDriverConfigNameForName() {
        List<String> driver = Arrays.stream(S3DriverConfig.class.getRecordComponents())
                .map(RecordComponent::getName)
                .toList();
        List<String> properties = Arrays.stream(S3Properties.class.getRecordComponents())
                .map(RecordComponent::getName)
                .filter(name -> !name.equals("compatibilityCheck"))
                .toList();
        assertThat(properties).containsExactlyElementsOf(driver);
    }

    @Test
    void unsetPropertiesTakeTheDriverDefaults() {
        S3DriverConfig config = s3(new MapPropertySource("test", Map.of("berth.storage.s3.bucket", "b")))
                .toDriverConfig();

        assertThat(config)
                .usingRecursiveComparison()
                .isEqualTo(S3DriverConfig.builder("b").build());
    }

    private static S3Properties s3(org.springframework.core.env.PropertySource<?> source) {
        return bind(source, "berth.storage.s3", S3Properties.class);
    }

    private static <T> T bind(org.springframework.core.env.PropertySource<?> source, String prefix, Class<T> type) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(source);
        ConfigurationPropertySources.attach(environment);
        return Binder.get(environment).bindOrCreate(prefix, Bindable.of(type));
    }

    /** The {@code BERTH_*} variables of the first replica in the compose file ({@code KEY: value} lines). */
    private static Map<String, Object> composeEnvironment(Path compose) throws IOException {
        Map<String, Object> env = new LinkedHashMap<>();
        Pattern line = Pattern.compile("^\\s+(BERTH_[A-Z0-9_]+):\\s*\"?([^\"]*)\"?\\s*$");
        List<String> lines = Files.readAllLines(compose);
        for (String text : lines) {
            Matcher m = line.matcher(text);
            if (m.matches()) {
                env.putIfAbsent(m.group(1), m.group(2));
            }
        }
        return env;
    }
}
