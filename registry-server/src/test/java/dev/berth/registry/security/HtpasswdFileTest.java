package dev.berth.registry.security;

import static dev.berth.registry.security.SecurityTestSupport.htpasswdLine;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unknown user must cost what a known one does: its password is compared with a dummy hash of the cost the
 * file's users have. Checked by recording which hash each bcrypt comparison used, not by measuring time.
 */
class HtpasswdFileTest {
    @TempDir
    Path dir;

    @Test
    void theTypicalCostIsTheMostCommonOneAndTheHigherOnATie() {
        assertThat(HtpasswdFile.typicalCost(List.of("$2y$04$x", "$2y$06$x", "$2a$06$x")))
                .isEqualTo(6);
        assertThat(HtpasswdFile.typicalCost(List.of("$2y$12$x", "$2y$06$x", "$2y$06$x", "$2b$12$x")))
                .isEqualTo(12);
        assertThat(HtpasswdFile.typicalCost(List.of("$2y$xx$x", "$2y$4$", "$2y$")))
                .isEqualTo(HtpasswdFile.DEFAULT_COST);
        assertThat(HtpasswdFile.typicalCost(List.of())).isEqualTo(HtpasswdFile.DEFAULT_COST);
        assertThat(HtpasswdFile.cost("$2y$10$abcdefghijklmnopqrstuv")).isEqualTo(10);
    }

    @Test
    void unknownUsersAreCheckedAgainstADummyOfTheUsersCostAlsoAfterAReload() throws Exception {
        Path file = dir.resolve("htpasswd");
        Files.write(
                file, List.of(htpasswdLine("alice", "a", 6), htpasswdLine("bob", "b", 6), htpasswdLine("old", "o", 4)));
        List<String> checked = new CopyOnWriteArrayList<>();
        HtpasswdFile htpasswd = SecurityTestSupport.recordingHtpasswd(file, Duration.ZERO, checked);

        assertThat(htpasswd.authenticate("mallory", "a")).isFalse();
        assertThat(checked).singleElement().satisfies(hash -> {
            assertThat(HtpasswdFile.cost(hash)).isEqualTo(6);
            assertThat(Files.readString(file)).doesNotContain(hash.substring(7));
        });
        String dummy = checked.get(0);
        checked.clear();
        assertThat(htpasswd.authenticate("alice", "wrong")).isFalse();
        assertThat(checked)
                .singleElement()
                .satisfies(hash -> assertThat(Files.readString(file)).contains(hash.substring(7)));
        checked.clear();
        assertThat(htpasswd.authenticate("nobody", "x")).isFalse();
        assertThat(checked).containsExactly(dummy);

        // The users move to cost 7: so does the dummy.
        checked.clear();
        Files.write(file, List.of(htpasswdLine("alice", "a", 7)));
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(10)));
        assertThat(htpasswd.authenticate("mallory", "a")).isFalse();
        assertThat(checked)
                .singleElement()
                .satisfies(hash -> assertThat(HtpasswdFile.cost(hash)).isEqualTo(7));
        checked.clear();
        assertThat(htpasswd.authenticate("alice", "a")).isTrue();
        assertThat(checked)
                .singleElement()
                .satisfies(hash -> assertThat(HtpasswdFile.cost(hash)).isEqualTo(7));
    }
}
