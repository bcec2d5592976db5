package dev.berth.registry.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The admin grant: named users and the admin group only; rules (even "everything") never give it. */
class AdminGrantTest {

    @Test
    void onlyAdminUsersAndTheAdminGroupGetRegistryAdmin() {
        AuthProperties.AccessRule everything = new AuthProperties.AccessRule();
        everything.setUsers(List.of("*"));
        everything.setActions(List.of("*"));
        AccessPolicy policy =
                new AccessPolicy(List.of(everything), Map.of("ops", List.of("carol")), List.of("alice"), "ops");
        List<ResourceScope> asked = List.of(ResourceScope.ADMIN);

        assertThat(policy.grant("alice", asked)).containsExactly(ResourceScope.ADMIN);
        assertThat(policy.grant("carol", asked)).containsExactly(ResourceScope.ADMIN);
        assertThat(policy.grant("bob", asked)).isEmpty();
        assertThat(policy.grant(null, asked)).isEmpty();
        assertThat(policy.allows("bob", "repository", "team/app", "push")).isTrue();
    }

    @Test
    void noRulesStillMeansNoAdminForOrdinaryUsers() {
        AccessPolicy policy = new AccessPolicy(List.of(), Map.of());
        assertThat(policy.isAdmin("bob")).isFalse();
        assertThat(policy.allows("bob", "registry", "admin", "*")).isFalse();
        assertThat(policy.allows("bob", "registry", "catalog", "*")).isTrue();
    }
}
