package dev.berth.registry.security;

import java.util.List;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;

/**
 * An authenticated registry client. A bearer token carries its grants ({@link #tokenAccess}); a Basic user has
 * none of its own and is checked against the {@link AccessPolicy}.
 */
public final class RegistryAuthentication extends AbstractAuthenticationToken {
    /** Exchange attribute holding the authenticated user's name, for the audit log. */
    public static final String USER_ATTRIBUTE = "berth.security.user";

    private final String user;
    private final List<ResourceScope> tokenAccess;

    private RegistryAuthentication(String user, List<ResourceScope> tokenAccess) {
        super(AuthorityUtils.NO_AUTHORITIES);
        this.user = user;
        this.tokenAccess = tokenAccess;
        setAuthenticated(true);
    }

    /** A user who proved a password. */
    static RegistryAuthentication basic(String user) {
        return new RegistryAuthentication(user, null);
    }

    /** The bearer of a verified token; {@code subject} is empty for anonymous tokens. */
    static RegistryAuthentication token(String subject, List<ResourceScope> access) {
        return new RegistryAuthentication(subject, List.copyOf(access));
    }

    /** Scopes the token grants, or null for a Basic user. */
    public List<ResourceScope> tokenAccess() {
        return tokenAccess;
    }

    /** The user's name; empty for an anonymous token. */
    @Override
    public String getName() {
        return user;
    }

    @Override
    public Object getCredentials() {
        return "";
    }

    @Override
    public Object getPrincipal() {
        return user;
    }
}
