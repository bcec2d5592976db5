package dev.berth.puller.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AuthChallengeTest {

    @Test
    void parsesDockerBearerChallenge() {
        List<AuthChallenge> cs = AuthChallenge.parse("Bearer realm=\"https://auth.docker.io/token\","
                + "service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"");
        assertThat(cs).hasSize(1);
        AuthChallenge c = cs.get(0);
        assertThat(c.isBearer()).isTrue();
        assertThat(c.param("realm")).isEqualTo("https://auth.docker.io/token");
        assertThat(c.param("service")).isEqualTo("registry.docker.io");
        assertThat(c.param("scope")).isEqualTo("repository:library/busybox:pull");
    }

    @Test
    void parsesSeveralChallengesQuotedCommasAndEscapes() {
        List<AuthChallenge> cs = AuthChallenge.parse(
                "Basic realm=\"a, b\", Bearer realm=\"https://x/token\", scope=\"repository:a/b:pull,push\", "
                        + "error=\"insufficient_scope\", note=\"say \\\"hi\\\"\"");
        assertThat(cs).extracting(AuthChallenge::scheme).containsExactly("basic", "bearer");
        assertThat(cs.get(0).param("realm")).isEqualTo("a, b");
        assertThat(cs.get(1).param("scope")).isEqualTo("repository:a/b:pull,push");
        assertThat(cs.get(1).param("error")).isEqualTo("insufficient_scope");
        assertThat(cs.get(1).param("note")).isEqualTo("say \"hi\"");
    }

    @Test
    void unquotedValuesAndCaseInsensitiveNames() {
        List<AuthChallenge> cs = AuthChallenge.parse("BASIC Realm=registry");
        assertThat(cs).singleElement().satisfies(c -> {
            assertThat(c.isBasic()).isTrue();
            assertThat(c.param("realm")).isEqualTo("registry");
        });
        assertThat(AuthChallenge.parse(null)).isEmpty();
        assertThat(AuthChallenge.parse("   ")).isEmpty();
    }
}
