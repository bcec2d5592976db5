package dev.berth.registry.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.crypto.bcrypt.BCrypt;

/**
 * Users and bcrypt password hashes from an htpasswd file ({@code user:$2y$...} lines, as {@code htpasswd -B}
 * writes them). The file is re-read when its modification time changes, checked at most once per reload
 * interval. Checks are blocking (bcrypt is slow on purpose): call them off the event loop.
 *
 * <p>Successful checks are remembered for a short while, so that a client sending Basic credentials with every
 * request pays for bcrypt once: the cache holds, per user, a salted SHA-256 of user and password, compared in
 * constant time. A reload of the file forgets everything, so removed users and changed passwords take effect
 * with the next check.
 *
 * <p>A name that is not in the file is checked against a dummy hash of the cost most of the file's users have,
 * so that the time of a refusal does not tell whether a user exists (at {@code /v2/} and the token endpoint
 * alike, which both check here).
 */
public class HtpasswdFile {
    private static final Logger log = LoggerFactory.getLogger(HtpasswdFile.class);
    /** The cost of the dummy hash while the file lists no bcrypt user: what {@code htpasswd -B} writes. */
    static final int DEFAULT_COST = 5;

    /** A bcrypt comparison of a password with a hash; a seam for tests that record what is checked. */
    @FunctionalInterface
    interface PasswordCheck {
        boolean matches(String password, String hash);
    }

    private final Path path;
    private final Duration reloadInterval;
    private final Clock clock;
    private final PasswordCheck check;
    private final Cache<String, byte[]> verified;
    private final byte[] salt = new byte[32];
    private final SecureRandom random = new SecureRandom();

    private volatile Map<String, String> hashes = Map.of();
    /**
     * Checked against when the user does not exist, so that an unknown name costs what a known one does: its
     * cost is the one most users of the file have (see {@link #typicalCost}), set again when the file changes.
     */
    private volatile String dummyHash;

    private volatile FileTime loadedMtime;
    private volatile Instant nextCheck = Instant.MIN;

    public HtpasswdFile(Path path, Duration cacheTtl, Duration reloadInterval, Clock clock) {
        this(path, cacheTtl, reloadInterval, clock, HtpasswdFile::bcrypt);
    }

    HtpasswdFile(Path path, Duration cacheTtl, Duration reloadInterval, Clock clock, PasswordCheck check) {
        this.path = path;
        this.reloadInterval = reloadInterval;
        this.clock = clock;
        this.check = check;
        this.verified = Caffeine.newBuilder()
                .expireAfterWrite(cacheTtl)
                .maximumSize(10_000)
                .build();
        random.nextBytes(salt);
        reloadIfChanged(true);
    }

    /** True when the user exists and the password matches its bcrypt hash. Blocking. */
    public boolean authenticate(String user, String password) {
        reloadIfChanged(false);
        byte[] fingerprint = fingerprint(user, password);
        byte[] remembered = verified.getIfPresent(user);
        if (remembered != null && MessageDigest.isEqual(remembered, fingerprint)) {
            return true;
        }
        String hash = hashes.get(user);
        boolean ok = check.matches(password, hash == null ? dummyHash : hash) && hash != null;
        if (ok) {
            verified.put(user, fingerprint);
        }
        return ok;
    }

    /** True when the user is (still) listed; used when a refresh token is redeemed. */
    public boolean exists(String user) {
        reloadIfChanged(false);
        return hashes.containsKey(user);
    }

    /** The bcrypt cost of a hash ({@code $2y$10$...}), or -1 when it has none. */
    static int cost(String hash) {
        if (hash.length() < 7
                || hash.charAt(0) != '$'
                || hash.charAt(3) != '$'
                || hash.charAt(6) != '$'
                || !Character.isDigit(hash.charAt(4))
                || !Character.isDigit(hash.charAt(5))) {
            return -1;
        }
        return Integer.parseInt(hash.substring(4, 6));
    }

    /** The cost most hashes have (the higher one on a tie), or {@link #DEFAULT_COST} when there are none. */
    static int typicalCost(Iterable<String> hashes) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (String hash : hashes) {
            int cost = cost(hash);
            if (cost >= 4 && cost <= 31) {
                counts.merge(cost, 1, Integer::sum);
            }
        }
        return counts.entrySet().stream()
                .max(Map.Entry.<Integer, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                .map(Map.Entry::getKey)
                .orElse(DEFAULT_COST);
    }

    /** A hash of a random password at {@code cost}, kept when the cost did not change. */
    private String dummyHashAt(int cost) {
        String current = dummyHash;
        if (current != null && cost(current) == cost) {
            return current;
        }
        byte[] password = new byte[16];
        random.nextBytes(password);
        return BCrypt.hashpw(HexFormat.of().formatHex(password), BCrypt.gensalt(cost, random));
    }

    static boolean bcrypt(String password, String hash) {
        try {
            // Spring's BCrypt reads $2a$, $2b$ and $2y$ and compares without early exit.
            return BCrypt.checkpw(password, hash);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private synchronized void reloadIfChanged(boolean initial) {
        Instant now = clock.instant();
        if (!initial && now.isBefore(nextCheck)) {
            return;
        }
        nextCheck = now.plus(reloadInterval);
        try {
            FileTime mtime = Files.getLastModifiedTime(path);
            if (mtime.equals(loadedMtime)) {
                return;
            }
            Map<String, String> loaded = parse(Files.readAllLines(path, StandardCharsets.UTF_8));
            dummyHash = dummyHashAt(typicalCost(loaded.values()));
            hashes = loaded;
            loadedMtime = mtime;
            verified.invalidateAll();
            log.info("loaded {} users from {}", hashes.size(), path);
        } catch (NoSuchFileException e) {
            if (initial) {
                throw new IllegalStateException("berth.auth.htpasswd.path: no such file " + path);
            }
            log.warn("htpasswd file {} disappeared; keeping the {} users loaded before", path, hashes.size());
        } catch (IOException e) {
            if (initial) {
                throw new UncheckedIOException(e);
            }
            log.warn("cannot re-read htpasswd file {}: {}", path, e.toString());
        }
    }

    private Map<String, String> parse(Iterable<String> lines) {
        Map<String, String> result = new HashMap<>();
        for (String line : lines) {
            String trimmed = line.strip();
            int colon = trimmed.indexOf(':');
            if (trimmed.isEmpty() || trimmed.startsWith("#") || colon <= 0) {
                continue;
            }
            String hash = trimmed.substring(colon + 1);
            if (!hash.startsWith("$2")) {
                // MD5, SHA1 and crypt entries are weak; refuse them rather than accept them silently.
                log.warn(
                        "{}: ignoring non-bcrypt entry for user '{}' (use htpasswd -B)",
                        path,
                        trimmed.substring(0, colon));
                continue;
            }
            result.put(trimmed.substring(0, colon), hash);
        }
        return Map.copyOf(result);
    }

    private byte[] fingerprint(String user, String password) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(salt);
            sha.update(user.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(password.getBytes(StandardCharsets.UTF_8));
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
