package dev.berth.registry.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Scope parsing and the access rules' decisions, without a server. */
class AccessPolicyTest {

    static AuthProperties.AccessRule rule(
            List<String> users, List<String> groups, String repository, List<String> actions, boolean anonymous) {
        AuthProperties.AccessRule rule = new AuthProperties.AccessRule();
        rule.setUsers(users);
        rule.setGroups(groups);
        rule.setRepository(repository);
        rule.setActions(actions);
        rule.setAnonymous(anonymous);
        return rule;
    }

    final AccessPolicy policy = new AccessPolicy(
            List.of(
                    rule(List.of(), List.of("devs"), "team/**", List.of("pull", "push"), false),
                    rule(List.of("*"), List.of(), "shared/*", List.of("pull"), false),
                    rule(List.of("root"), List.of(), "**", List.of("*"), false),
                    rule(List.of(), List.of(), "public/**", List.of(), true)),
            Map.of("devs", List.of("ann", "ben")));

    @Test
    void parsesScopesIncludingNamesWithPortsAndClasses() {
        assertThat(ResourceScope.parse("repository:team/app:pull,push"))
                .isEqualTo(ResourceScope.repository("team/app", "pull", "push"));
        assertThat(ResourceScope.parse("repository:localhost:5000/app:pull").name())
                .isEqualTo("localhost:5000/app");
        assertThat(ResourceScope.parse("repository(plugin):x:pull").type()).isEqualTo("repository(plugin)");
        assertThat(ResourceScope.parse("registry:catalog:*")).isEqualTo(ResourceScope.CATALOG);
        assertThat(ResourceScope.parse("repository:app")).isNull();
        assertThat(ResourceScope.parse("repository:app:")).isNull();
        assertThat(ResourceScope.parse(":app:pull")).isNull();
        assertThat(ResourceScope.parseAll(" repository:a:pull  repository:b:push bogus "))
                .hasSize(2);
        assertThat(ResourceScope.repository("a", "push", "delete", "pull").toString())
                .isEqualTo("repository:a:pull,push,delete");
    }

    @Test
    void grantsTheIntersectionOfRequestAndRules() {
        assertThat(policy.grant("ann", List.of(ResourceScope.repository("team/x/y", "pull", "push", "delete"))))
                .containsExactly(ResourceScope.repository("team/x/y", "pull", "push"));
        assertThat(policy.grant("zed", List.of(ResourceScope.repository("shared/lib", "pull", "push"))))
                .containsExactly(ResourceScope.repository("shared/lib", "pull"));
        assertThat(policy.grant("zed", List.of(ResourceScope.repository("shared/lib/deep", "pull"))))
                .isEmpty();
        assertThat(policy.grant("root", List.of(ResourceScope.CATALOG))).isEmpty(); // catalog is type registry
        assertThat(policy.grant(null, List.of(ResourceScope.repository("public/x", "pull", "push"))))
                .containsExactly(ResourceScope.repository("public/x", "pull"));
        assertThat(policy.grant(null, List.of(ResourceScope.repository("team/x", "pull"))))
                .isEmpty();
    }

    @Test
    void wildcardsInRequestsNeverMatchRules() {
        for (String name : List.of("*", "**", "team/*", "team/**", "team/?", "../team", "TEAM/x")) {
            assertThat(policy.grant("root", List.of(new ResourceScope("repository", name, Set.of("pull", "*")))))
                    .as(name)
                    .isEmpty();
        }
        assertThat(policy.allows("root", "repository", "team/x", "admin")).isFalse();
    }

    @Test
    void withoutRulesAuthenticatedUsersMayDoEverything() {
        AccessPolicy open = new AccessPolicy(List.of(), Map.of());
        assertThat(open.allows("anyone", "repository", "a/b", "delete")).isTrue();
        assertThat(open.allows("anyone", "registry", "catalog", "*")).isTrue();
        assertThat(open.allows(null, "repository", "a/b", "pull")).isFalse();
    }

    @Test
    void tellsWhichPrefixesMayHoldAllowedRepositories() {
        assertThat(policy.mayAllowUnder("ann", "team/", "pull")).isTrue();
        assertThat(policy.mayAllowUnder("ann", "other/", "pull")).isFalse();
        assertThat(policy.mayAllowUnder("zed", "shared/", "pull")).isTrue();
        assertThat(policy.mayAllowUnder("zed", "shared/deep/", "pull")).isFalse(); // shared/* is one level
        assertThat(policy.mayAllowUnder("zed", "sha", "pull")).isTrue();
        assertThat(policy.mayAllowUnder(null, "public/", "pull")).isTrue();
        assertThat(policy.mayAllowUnder(null, "team/", "pull")).isFalse();
        assertThat(policy.mayAllowUnder("root", "anything/", "delete")).isTrue();
        assertThat(policy.mayAllowUnder("ann", "team/", "delete")).isFalse();
    }
}
