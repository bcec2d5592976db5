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
 */
public class HtpasswdFile {
    private static final Logger log = LoggerFactory.getLogger(HtpasswdFile.class);
    /** Checked against when the user does not exist, so that unknown users cost as much time as known ones. */
    private static final String DUMMY_HASH = BCrypt.hashpw("berth-dummy", BCrypt.gensalt(5));

    private final Path path;
    private final Duration reloadInterval;
    private final Clock clock;
    private final Cache<String, byte[]> verified;
    private final byte[] salt = new byte[32];

    private volatile Map<String, String> hashes = Map.of();
    private volatile FileTime loadedMtime;
    private volatile Instant nextCheck = Instant.MIN;

    public HtpasswdFile(Path path, Duration cacheTtl, Duration reloadInterval, Clock clock) {
        this.path = path;
        this.reloadInterval = reloadInterval;
        this.clock = clock;
        this.verified = Caffeine.newBuilder().expireAfterWrite(cacheTtl).maximumSize(10_000).build();
        new SecureRandom().nextBytes(salt);
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
        boolean ok = check(password, hash == null ? DUMMY_HASH : hash) && hash != null;
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

    private static boolean check(String password, String hash) {
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
            hashes = parse(Files.readAllLines(path, StandardCharsets.UTF_8));
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
                log.warn("{}: ignoring non-bcrypt entry for user '{}' (use htpasswd -B)", path,
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
