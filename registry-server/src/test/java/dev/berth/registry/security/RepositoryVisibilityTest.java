package dev.berth.registry.security;

import static dev.berth.registry.security.AccessPolicyTest.rule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.registry.manifest.Catalog;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Who sees which names in listings, per authentication mode and token issuer, without a server. */
class RepositoryVisibilityTest {
    static final List<String> NAMES = List.of("ext/one", "public/p", "secret/s", "team/a");

    final AccessPolicy policy = new AccessPolicy(
            List.of(
                    rule(List.of("ann"), List.of(), "team/**", List.of("pull"), false),
                    rule(List.of(), List.of(), "public/**", List.of(), true)),
            Map.of());

    static List<String> seen(Predicate<String> visible) {
        return NAMES.stream().filter(visible).toList();
    }

    @Test
    void withoutAuthenticationEveryNameIsVisible() {
        RepositoryVisibility open = new RepositoryVisibility(AuthProperties.AuthMode.NONE, policy, false);
        assertThat(seen(open.forCaller(null))).isEqualTo(NAMES);
    }

    @Test
    void basicUsersAndAnonymousClientsSeeWhatThePolicyLetsThemPull() {
        RepositoryVisibility htpasswd = new RepositoryVisibility(AuthProperties.AuthMode.HTPASSWD, policy, false);
        assertThat(seen(htpasswd.forCaller(RegistryAuthentication.basic("ann"))))
                .containsExactly("public/p", "team/a");
        assertThat(seen(htpasswd.forCaller(RegistryAuthentication.basic("zed"))))
                .containsExactly("public/p");
        assertThat(seen(htpasswd.forCaller(null))).containsExactly("public/p");

        // Whole subtrees nobody may pull from are skipped by listings.
        Catalog.Visibility ann = htpasswd.forCaller(RegistryAuthentication.basic("ann"));
        assertThat(ann.mayShowUnder("team/")).isTrue();
        assertThat(ann.mayShowUnder("te")).isTrue();
        assertThat(ann.mayShowUnder("public/")).isTrue();
        assertThat(ann.mayShowUnder("secret/")).isFalse();
        assertThat(htpasswd.forCaller(null).mayShowUnder("team/")).isFalse();
    }

    @Test
    void tokensOfTheOwnIssuerSeeWhatTheirSubjectMayPullPlusWhatTheyGrant() {
        RepositoryVisibility own = new RepositoryVisibility(AuthProperties.AuthMode.TOKEN, policy, true);
        RegistryAuthentication ann = RegistryAuthentication.token("ann", List.of());
        assertThat(seen(own.forCaller(ann))).containsExactly("public/p", "team/a");
        RegistryAuthentication anonymous = RegistryAuthentication.token("", List.of());
        assertThat(seen(own.forCaller(anonymous))).containsExactly("public/p");
    }

    @Test
    void tokensOfAnExternalIssuerSeeOnlyWhatTheyGrantPull() {
        RepositoryVisibility external = new RepositoryVisibility(AuthProperties.AuthMode.TOKEN, policy, false);
        RegistryAuthentication token = RegistryAuthentication.token(
                "ann",
                List.of(ResourceScope.repository("ext/one", "pull"), ResourceScope.repository("secret/s", "push")));
        assertThat(seen(external.forCaller(token))).containsExactly("ext/one");
        assertThat(external.forCaller(token).mayShowUnder("ext/")).isTrue();
        assertThat(external.forCaller(token).mayShowUnder("secret/")).isFalse();
        RegistryAuthentication catalog = RegistryAuthentication.token("ann", List.of(ResourceScope.CATALOG));
        assertThat(seen(external.forCaller(catalog))).isEqualTo(NAMES);
    }
}
