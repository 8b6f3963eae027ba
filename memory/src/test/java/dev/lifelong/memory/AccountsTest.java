package dev.lifelong.memory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AccountsTest {
    @TempDir Path dir;

    @Test
    void keysWorkUntilRevokedAndOnlyTheirHashIsStored() throws Exception {
        String secret;
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            Accounts accounts = db.accounts();
            var owner = accounts.list().get(0);
            assertThat(owner.isOwner()).isTrue();
            assertThat(owner.hasPassword()).isFalse();
            var member = accounts.create("ada", Accounts.Role.MEMBER, null);
            var key = accounts.createApiKey(member.id(), "laptop", false);
            secret = key.secret();
            assertThat(key.secret()).startsWith("ll_").hasSizeGreaterThan(40);
            assertThat(accounts.authenticateKey(key.secret())).get()
                    .satisfies(g -> { assertThat(g.userId()).isEqualTo(member.id()); assertThat(g.memory()).isFalse(); });
            assertThat(accounts.authenticateKey(key.secret() + "x")).isEmpty();
            assertThat(accounts.authenticateKey("not a key")).isEmpty();
            assertThat(accounts.revokeKey(owner.id(), key.key().id())).as("another user's key").isFalse();
            assertThat(accounts.revokeKey(member.id(), key.key().id())).isTrue();
            assertThat(accounts.authenticateKey(key.secret())).isEmpty();
            assertThat(accounts.keys(member.id())).singleElement().satisfies(k -> assertThat(k.active()).isFalse());
        }
        byte[] file = Files.readAllBytes(dir.resolve("lifelong.db"));
        assertThat(new String(file, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain(secret.substring(12));
    }

    @Test
    void namesAreUniqueIgnoringCaseAndValidated() {
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            Accounts accounts = db.accounts();
            accounts.create("Ada", Accounts.Role.MEMBER, null);
            assertThatThrownBy(() -> accounts.create("ada", Accounts.Role.MEMBER, null)).hasMessageContaining("already exists");
            assertThatThrownBy(() -> accounts.create("../etc", Accounts.Role.MEMBER, null)).hasMessageContaining("user name");
            assertThatThrownBy(() -> accounts.create("<script>", Accounts.Role.MEMBER, null)).hasMessageContaining("user name");
            assertThat(accounts.create("李雷", Accounts.Role.MEMBER, null).name()).isEqualTo("李雷");
            assertThat(accounts.findByName("ADA")).isPresent();
        }
    }

    @Test
    void removingAUserDeletesAllTheirRowsAndNeverTheOwner() {
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            Accounts accounts = db.accounts();
            var member = accounts.create("bob", Accounts.Role.MEMBER, null);
            var conv = db.conversations().create(member.id(), "bob's");
            db.messages().append(conv.id(), Role.USER, "my secret", MessageStatus.COMPLETE);
            db.memories().add(member.id(), MemoryKind.FACT, "Bob likes tea", null);
            String token = accounts.createSession(member.id(), Duration.ofHours(1));
            accounts.createApiKey(member.id(), "k", true);
            assertThatThrownBy(() -> accounts.remove(accounts.list().get(0).id())).hasMessageContaining("owner");
            assertThat(accounts.remove(member.id())).isTrue();
            assertThat(accounts.session(token)).isEmpty();
            assertThat(db.messages().search(member.id(), "secret", 5)).isEmpty();
            int rows = db.read(c -> {
                int n = 0;
                for (String t : new String[] {"conversations", "messages", "memories", "api_keys", "sessions"}) {
                    try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM " + t)) { rs.next(); n += rs.getInt(1); }
                }
                return n;
            });
            assertThat(rows).isZero();
        }
    }

    @Test
    void sessionsExpireAndAPasswordChangeEndsThem() {
        var clock = new java.util.concurrent.atomic.AtomicLong(1_000_000);
        java.time.Clock c = new java.time.Clock() {
            public java.time.ZoneId getZone() { return java.time.ZoneOffset.UTC; }
            public java.time.Clock withZone(java.time.ZoneId z) { return this; }
            public java.time.Instant instant() { return java.time.Instant.ofEpochMilli(clock.get()); }
        };
        try (Database db = Database.open(dir.resolve("lifelong.db"), c)) {
            Accounts accounts = db.accounts();
            long owner = accounts.list().get(0).id();
            String a = accounts.createSession(owner, Duration.ofMinutes(10));
            assertThat(accounts.session(a)).get().satisfies(s -> assertThat(s.csrfToken()).hasSizeGreaterThan(30));
            clock.addAndGet(Duration.ofMinutes(11).toMillis());
            assertThat(accounts.session(a)).isEmpty();
            String b = accounts.createSession(owner, Duration.ofMinutes(10));
            accounts.setPasswordHash(owner, "$argon2id$stub-is-not-checked-here");
            assertThat(accounts.session(b)).isEmpty();
        }
    }
}
