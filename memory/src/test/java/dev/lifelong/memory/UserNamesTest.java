package dev.lifelong.memory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** User names that could pass for another user's are refused; ordinary names in any one script are fine. */
class UserNamesTest {
    @TempDir Path dir;

    @Test
    void namesInOneScriptAreAccepted() {
        for (String ok : new String[] {"ada", "Ada.Lovelace", "第二", "张三", "Иван", "Ελένη", "Zoë", "user_1", "山田-taro", "김민준"}) {
            assertThat(UserNames.requireValid(ok)).as(ok).isEqualTo(ok);
        }
    }

    @Test
    void compatibilityFormsAndLatinMixedWithLookAlikeScriptsAreRefused() {
        assertThatThrownBy(() -> UserNames.requireValid("ＡＤＭＩＮ")).hasMessageContaining("compatibility").hasMessageContaining("'ADMIN'");
        assertThatThrownBy(() -> UserNames.requireValid("ﬁona")).hasMessageContaining("compatibility");
        assertThatThrownBy(() -> UserNames.requireValid("оwner")).as("Cyrillic о + Latin").hasMessageContaining("Cyrillic and Latin");
        assertThatThrownBy(() -> UserNames.requireValid("pαul")).as("Greek α + Latin").hasMessageContaining("Greek and Latin");
        assertThatThrownBy(() -> UserNames.requireValid("../etc")).hasMessageContaining("1 to 40");
    }

    @Test
    void aNameThatLooksLikeAnExistingOneIsRefused() {
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            var accounts = db.accounts();
            accounts.create("paypal", Accounts.Role.MEMBER, null);
            accounts.create("core", Accounts.Role.MEMBER, null);
            for (String lookAlike : new String[] {"PAYPAL", "paypa1", "payp\u0430l"}) {
                assertThatThrownBy(() -> accounts.create(lookAlike, Accounts.Role.MEMBER, null)).as(lookAlike)
                        .isInstanceOf(IllegalArgumentException.class);
            }
            // all Cyrillic, so no mixed script, but it reads "core"
            assertThatThrownBy(() -> accounts.create("\u0441\u043e\u0433\u0435", Accounts.Role.MEMBER, null))
                    .hasMessageContaining("looks like the existing user 'core'");
            long modern = accounts.create("modern", Accounts.Role.MEMBER, null).id();
            assertThatThrownBy(() -> accounts.create("rnodern", Accounts.Role.MEMBER, null))
                    .hasMessageContaining("looks like the existing user 'modern'");
            assertThatThrownBy(() -> accounts.rename(modern, "paypa1")).hasMessageContaining("looks like the existing user 'paypal'");
            assertThat(accounts.create("paula", Accounts.Role.MEMBER, null).name()).isEqualTo("paula");
        }
    }
}
