package dev.berth.registry.security;

import dev.berth.oci.Names;
import java.util.Map;

/**
 * Where a cross-repository mount ({@code POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<repository>}) may take
 * its blob from. A mount answers 201 without the client sending a byte, so it must never give a repository a blob
 * its caller could not read. With authentication on, it may take the blob only from a valid {@code from} that the
 * caller may pull (decided by the same {@link CallerGrants} as a GET of that repository), and only when that
 * repository links the blob, which the caller of this rule checks in storage. Every other mount is refused and the
 * POST starts an ordinary upload (202), as the CNCF registry does: the client then proves it has the bytes by
 * sending them. With {@code berth.auth.mode=none} anyone may read everything, so any stored blob is mounted, with
 * or without {@code from} (automatic cross-mount).
 */
public final class MountRule {
    /** Exchange attribute: why a mount was refused (a {@link Refused} reason), for the audit line. */
    public static final String REFUSAL_ATTRIBUTE = MountRule.class.getName() + ".refusal";

    /** The answer of the rule. */
    public sealed interface Source permits AnyRepository, FromRepository, Refused {}

    /** Any stored blob may be mounted (open registry). */
    public record AnyRepository() implements Source {}

    /** The blob may be mounted if {@code name} links it. */
    public record FromRepository(String name) implements Source {}

    /** No mount: start an ordinary upload. */
    public record Refused(String reason) implements Source {}

    private final AuthProperties.AuthMode mode;

    public MountRule(AuthProperties.AuthMode mode) {
        this.mode = mode;
    }

    /**
     * @param exchangeAttributes the request's attributes, where the security chain left the {@link CallerGrants}
     * @param from               the {@code from} parameter, or null
     */
    public Source source(Map<String, Object> exchangeAttributes, String from) {
        if (mode == AuthProperties.AuthMode.NONE) {
            return new AnyRepository();
        }
        if (from == null || from.isEmpty()) {
            return new Refused("no from repository");
        }
        if (!Names.isRepository(from)) {
            return new Refused("from is not a valid repository name");
        }
        // No grants on the exchange means no chain decided this request: refuse rather than guess.
        boolean mayPull =
                CallerGrants.of(exchangeAttributes).map(g -> g.mayPull(from)).orElse(false);
        return mayPull ? new FromRepository(from) : new Refused("caller may not pull from");
    }
}
