package dev.berth.registry.security;

import java.time.Duration;
import org.springframework.security.core.AuthenticationException;

/** The ways authentication fails, each answered differently by {@link ChallengeResponder}. */
final class AuthFailures {
    private AuthFailures() {}

    /** A wrong user name or password; counts towards the address's throttle. */
    static final class BadPassword extends AuthenticationException {
        BadPassword(String message) {
            super(message);
        }
    }

    /** A bearer token that did not verify; answered with {@code error="invalid_token"}. */
    static final class BadToken extends AuthenticationException {
        BadToken(String message) {
            super(message);
        }
    }

    /** The client address failed too often: answered with 429 and Retry-After, credentials left unchecked. */
    static final class Throttled extends AuthenticationException {
        private final Duration retryAfter;

        Throttled(Duration retryAfter) {
            super("too many failed authentication attempts");
            this.retryAfter = retryAfter;
        }

        Duration retryAfter() {
            return retryAfter;
        }
    }
}
