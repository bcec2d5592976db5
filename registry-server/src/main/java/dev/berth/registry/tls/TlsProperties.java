package dev.berth.registry.tls;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/** Everything under {@code berth.tls.*}: HTTPS from PEM files, client certificates, a development certificate. */
@ConfigurationProperties("berth.tls")
@Validated
public class TlsProperties {
    /** Serve HTTPS instead of HTTP. */
    private boolean enabled;
    /** PEM file with the server certificate, followed by its intermediates. */
    private Path certificate;
    /** PEM file with the server's private key (PKCS#1, PKCS#8 or EC; encrypted needs {@link #keyPassword}). */
    private Path privateKey;
    /** Password of an encrypted private key. */
    private String keyPassword;
    /** Client certificates: {@code none}, {@code want} (verified when sent) or {@code need} (required). */
    @NotNull(message = "must be none, want or need")
    private ClientAuth clientAuth = ClientAuth.NONE;
    /** PEM file with the CA certificates client certificates must chain to. */
    private Path clientCa;

    @Valid
    private final SelfSigned selfSigned = new SelfSigned();

    /** Client certificate modes. */
    public enum ClientAuth {
        /** No client certificates asked for. */
        NONE,
        /** Asked for and verified when sent. */
        WANT,
        /** Required. */
        NEED
    }

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Path getCertificate() {
        return certificate;
    }

    public void setCertificate(Path certificate) {
        this.certificate = certificate;
    }

    public Path getPrivateKey() {
        return privateKey;
    }

    public void setPrivateKey(Path privateKey) {
        this.privateKey = privateKey;
    }

    public String getKeyPassword() {
        return keyPassword;
    }

    public void setKeyPassword(String keyPassword) {
        this.keyPassword = keyPassword;
    }

    public ClientAuth getClientAuth() {
        return clientAuth;
    }

    public void setClientAuth(ClientAuth clientAuth) {
        this.clientAuth = clientAuth;
    }

    public Path getClientCa() {
        return clientCa;
    }

    public void setClientCa(Path clientCa) {
        this.clientCa = clientCa;
    }

    public SelfSigned getSelfSigned() {
        return selfSigned;
    }

    /** {@code berth.tls.self-signed.*}: a certificate for development, never for production. */
    public static class SelfSigned {
        /** Generate (or reuse) a self-signed certificate instead of reading certificate and private-key. */
        private boolean enabled;
        /** Where {@code tls.crt} and {@code tls.key} are written; reused when already there. */
        @NotNull
        private Path directory = Path.of("./tls");
        /** Names in the certificate's subjectAltName. */
        @NotEmpty(message = "must name at least one host")
        private List<@NotBlank String> hosts = new ArrayList<>(List.of("localhost", "127.0.0.1", "::1"));

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public Path getDirectory() {
            return directory;
        }

        public void setDirectory(Path directory) {
            this.directory = directory;
        }

        public List<String> getHosts() {
            return hosts;
        }

        public void setHosts(List<String> hosts) {
            this.hosts = hosts;
        }
    }
}
