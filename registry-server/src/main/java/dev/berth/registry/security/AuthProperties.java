package dev.berth.registry.security;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Everything under {@code berth.auth.*}: who may call the registry API and how they prove it. With the default
 * {@code mode=none} every request passes untouched.
 */
@ConfigurationProperties("berth.auth")
@Validated
public class AuthProperties {
    /** How clients authenticate: {@code none} (open registry), {@code htpasswd} (Basic) or {@code token} (Bearer JWT). */
    @NotNull(message = "must be none, htpasswd or token")
    private AuthMode mode = AuthMode.NONE;
    /** The realm of the Basic challenge in htpasswd mode (and of the token endpoint's own Basic challenge). */
    @NotBlank
    private String realm = "Berth Registry";

    @Valid
    private final Htpasswd htpasswd = new Htpasswd();

    @Valid
    private final Token token = new Token();

    @Valid
    private final Throttle throttle = new Throttle();
    /** Groups for access rules: group name to its user names. */
    private Map<String, List<String>> groups = new LinkedHashMap<>();
    /**
     * Access rules. With none, every authenticated user may do everything and anonymous users nothing; with some,
     * a user gets only what a rule grants (the union of all matching rules).
     */
    private List<@Valid AccessRule> rules = new ArrayList<>();
    /**
     * Users with the admin grant ({@code /admin/**}, token scope {@code registry:admin:*}), besides the members of
     * {@link #adminGroup}. Access rules do not grant it.
     */
    private List<String> adminUsers = new ArrayList<>();
    /** The group (of {@code groups}) whose members have the admin grant. */
    private String adminGroup = "admins";

    /** The authentication modes. */
    public enum AuthMode {
        /** No authentication: the registry is open. */
        NONE,
        /** HTTP Basic against a bcrypt htpasswd file. */
        HTPASSWD,
        /** Bearer JWTs from a token service (Berth's own or an external one). */
        TOKEN
    }

    public AuthMode getMode() {
        return mode;
    }

    public void setMode(AuthMode mode) {
        this.mode = mode;
    }

    public String getRealm() {
        return realm;
    }

    public void setRealm(String realm) {
        this.realm = realm;
    }

    public Htpasswd getHtpasswd() {
        return htpasswd;
    }

    public Token getToken() {
        return token;
    }

    public Throttle getThrottle() {
        return throttle;
    }

    public Map<String, List<String>> getGroups() {
        return groups;
    }

    public void setGroups(Map<String, List<String>> groups) {
        this.groups = groups;
    }

    public List<AccessRule> getRules() {
        return rules;
    }

    public void setRules(List<AccessRule> rules) {
        this.rules = rules;
    }

    public List<String> getAdminUsers() {
        return adminUsers;
    }

    public void setAdminUsers(List<String> adminUsers) {
        this.adminUsers = adminUsers;
    }

    public String getAdminGroup() {
        return adminGroup;
    }

    public void setAdminGroup(String adminGroup) {
        this.adminGroup = adminGroup;
    }

    /** {@code berth.auth.htpasswd.*}. */
    public static class Htpasswd {
        /** The htpasswd file (bcrypt entries, as {@code htpasswd -B} writes); re-read when its mtime changes. */
        private Path path;
        /** How long a successful bcrypt check is remembered, so that every request does not pay for bcrypt. */
        @NotNull
        @DurationMin(seconds = 0, message = "must not be negative")
        private Duration cacheTtl = Duration.ofMinutes(1);
        /** How often, at most, the file's modification time is checked. */
        @NotNull
        @DurationMin(seconds = 0, message = "must not be negative")
        private Duration reloadInterval = Duration.ofSeconds(2);

        public Path getPath() {
            return path;
        }

        public void setPath(Path path) {
            this.path = path;
        }

        public Duration getCacheTtl() {
            return cacheTtl;
        }

        public void setCacheTtl(Duration cacheTtl) {
            this.cacheTtl = cacheTtl;
        }

        public Duration getReloadInterval() {
            return reloadInterval;
        }

        public void setReloadInterval(Duration reloadInterval) {
            this.reloadInterval = reloadInterval;
        }
    }

    /** {@code berth.auth.token.*}. */
    public static class Token {
        /**
         * The token service URL sent as the challenge's realm. Optional when Berth's own issuer endpoint is on: the
         * realm is then derived from the request's scheme and host.
         */
        private URI realm;
        /** The service name: sent in the challenge, and required in the token's {@code aud} claim. */
        @NotBlank
        private String service = "berth-registry";
        /** Required {@code iss} claim. */
        @NotBlank
        private String issuer = "berth-token-issuer";
        /** PEM files with public keys or X.509 certificates whose keys may sign tokens (RS256 or ES256). */
        private List<Path> trustedKeys = new ArrayList<>();
        /** Optional JWKS URL with more signing keys (fetched lazily and cached). */
        private URI jwksUrl;
        /** Tolerated clock difference when checking {@code exp} and {@code nbf}. */
        @NotNull
        @DurationMin(seconds = 0, message = "must not be negative")
        private Duration clockSkew = Duration.ofSeconds(30);

        @Valid
        private final IssuerEndpoint issuerEndpoint = new IssuerEndpoint();

        public URI getRealm() {
            return realm;
        }

        public void setRealm(URI realm) {
            this.realm = realm;
        }

        public String getService() {
            return service;
        }

        public void setService(String service) {
            this.service = service;
        }

        public String getIssuer() {
            return issuer;
        }

        public void setIssuer(String issuer) {
            this.issuer = issuer;
        }

        public List<Path> getTrustedKeys() {
            return trustedKeys;
        }

        public void setTrustedKeys(List<Path> trustedKeys) {
            this.trustedKeys = trustedKeys;
        }

        public URI getJwksUrl() {
            return jwksUrl;
        }

        public void setJwksUrl(URI jwksUrl) {
            this.jwksUrl = jwksUrl;
        }

        public Duration getClockSkew() {
            return clockSkew;
        }

        public void setClockSkew(Duration clockSkew) {
            this.clockSkew = clockSkew;
        }

        public IssuerEndpoint getIssuerEndpoint() {
            return issuerEndpoint;
        }
    }

    /** {@code berth.auth.token.issuer-endpoint.*}: Berth's own token service. */
    public static class IssuerEndpoint {
        /** Whether Berth serves tokens itself (users from the htpasswd file, grants from the access rules). */
        private boolean enabled;
        /** Path of the token endpoint. */
        @NotNull
        @Pattern(regexp = "/.*", message = "must be a path starting with /")
        private String path = "/auth/token";
        /**
         * PEM private key (PKCS#1, PKCS#8 or EC) that signs tokens. When the file does not exist a key is generated
         * and written there; when unset a key is generated in memory (tokens then die with the process).
         */
        private Path signingKey;
        /** Algorithm of a generated key: {@code ES256} or {@code RS256}. A loaded key's type decides for itself. */
        @NotNull
        @Pattern(regexp = "(?i)ES256|RS256", message = "must be ES256 or RS256")
        private String algorithm = "ES256";
        /** Lifetime of access tokens (the response's {@code expires_in}). */
        @NotNull
        @DurationMin(seconds = 1, message = "must be at least 1s")
        private Duration expiresIn = Duration.ofMinutes(5);
        /** Lifetime of refresh tokens ({@code offline_token=true} / {@code access_type=offline}). */
        @NotNull
        @DurationMin(seconds = 1, message = "must be at least 1s")
        private Duration refreshTokenTtl = Duration.ofDays(30);

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public Path getSigningKey() {
            return signingKey;
        }

        public void setSigningKey(Path signingKey) {
            this.signingKey = signingKey;
        }

        public String getAlgorithm() {
            return algorithm;
        }

        public void setAlgorithm(String algorithm) {
            this.algorithm = algorithm;
        }

        public Duration getExpiresIn() {
            return expiresIn;
        }

        public void setExpiresIn(Duration expiresIn) {
            this.expiresIn = expiresIn;
        }

        public Duration getRefreshTokenTtl() {
            return refreshTokenTtl;
        }

        public void setRefreshTokenTtl(Duration refreshTokenTtl) {
            this.refreshTokenTtl = refreshTokenTtl;
        }
    }

    /** {@code berth.auth.throttle.*}: slowing down password guessing per client address. */
    public static class Throttle {
        /** Failed password checks from one address, within the window, after which it gets 429. 0 disables. */
        @Min(value = 0, message = "must be 0 (off) or more")
        private int maxFailures = 10;
        /** The window, counted from an address's first failure; also the Retry-After upper bound. */
        @NotNull
        @DurationMin(millis = 1, message = "must be positive (e.g. 5s)")
        private Duration window = Duration.ofMinutes(5);

        public int getMaxFailures() {
            return maxFailures;
        }

        public void setMaxFailures(int maxFailures) {
            this.maxFailures = maxFailures;
        }

        public Duration getWindow() {
            return window;
        }

        public void setWindow(Duration window) {
            this.window = window;
        }
    }

    /**
     * One access rule: who ({@link #users} and {@link #groups}; {@code *} means any authenticated user), which
     * resources ({@link #repository} glob) and which actions. {@link #anonymous} additionally lets anyone pull.
     */
    public static class AccessRule {
        /** User names the rule applies to; {@code *} is every authenticated user. */
        private List<String> users = new ArrayList<>();
        /** Groups (from {@code berth.auth.groups}) the rule applies to. */
        private List<String> groups = new ArrayList<>();
        /** Resource type: {@code repository}, or {@code registry} with repository {@code catalog}. */
        @NotNull
        @Pattern(regexp = "repository|registry", message = "must be repository or registry")
        private String type = "repository";
        /** Repository glob: {@code *} matches within one path component, {@code **} across them, {@code ?} one char. */
        @NotBlank(message = "must be a repository glob such as team/** (or catalog with type registry)")
        private String repository = "**";
        /** Granted actions: {@code pull}, {@code push}, {@code delete}, or {@code *} (all, including catalog). */
        private List<
                        @NotNull @Pattern(regexp = "pull|push|delete|\\*", message = "must be pull, push, delete or *")
                        String>
                actions = new ArrayList<>(List.of("pull"));
        /** When true, anyone (also unauthenticated clients) may pull the matching repositories. */
        private boolean anonymous;

        public List<String> getUsers() {
            return users;
        }

        public void setUsers(List<String> users) {
            this.users = users;
        }

        public List<String> getGroups() {
            return groups;
        }

        public void setGroups(List<String> groups) {
            this.groups = groups;
        }

        public String getType() {
            return type;
        }

        public void setType(String type) {
            this.type = type;
        }

        public String getRepository() {
            return repository;
        }

        public void setRepository(String repository) {
            this.repository = repository;
        }

        public List<String> getActions() {
            return actions;
        }

        public void setActions(List<String> actions) {
            this.actions = actions;
        }

        public boolean isAnonymous() {
            return anonymous;
        }

        public void setAnonymous(boolean anonymous) {
            this.anonymous = anonymous;
        }
    }
}
