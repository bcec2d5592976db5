package dev.berth.registry.security;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;

/** A bearer token from an {@code Authorization} header, not yet verified. */
final class BearerCredentials extends AbstractAuthenticationToken {
    private final String token;

    BearerCredentials(String token) {
        super(AuthorityUtils.NO_AUTHORITIES);
        this.token = token;
    }

    String token() {
        return token;
    }

    @Override
    public Object getCredentials() {
        return token;
    }

    @Override
    public Object getPrincipal() {
        return "";
    }
}
