package dev.lifelong.memory;

import static dev.lifelong.memory.Users.OWNER_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseTest {
    @TempDir
    Path dir;

    @Test
    void opensWithWalFullSyncAndForeignKeysAndCreatesParentFolders() {
        Path file = dir.resolve("a/b/c/lifelong.db");
        try (Database db = Database.open(file)) {
            assertThat(db.file()).isEqualTo(file.toAbsolutePath());
            assertThat(Files.isRegularFile(file)).isTrue();
            assertThat(pragma(db, "journal_mode")).isEqualTo("wal");
            assertThat(pragma(db, "synchronous")).isEqualTo("2"); // FULL
            assertThat(pragma(db, "foreign_keys")).isEqualTo("1");
            assertThat(pragma(db, "busy_timeout")).isEqualTo("5000");
        }
    }

    @Test
    void freshDatabaseHasLatestSchemaAndTheOwner() {
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            assertThat(db.schemaVersion()).isEqualTo(MigrationRunner.standard().latestVersion()).isEqualTo(5);
            String owner = db.read(c -> {
                try (ResultSet rs = c.createStatement().executeQuery("SELECT name FROM users WHERE id = 1")) {
                    return rs.next() ? rs.getString(1) : null;
                }
            });
            assertThat(owner).isEqualTo("owner");
            assertThat(db.conversations().create(OWNER_ID, "works").userId()).isEqualTo(OWNER_ID);
        }
    }

    @Test
    void reopeningDoesNotRerunMigrationsAndKeepsEverything() {
        Path file = dir.resolve("lifelong.db");
        Conversation conversation;
        List<Message> written = new ArrayList<>();
        List<Object> firstVersions;
        try (Database db = Database.open(file)) {
            conversation = db.conversations().create(OWNER_ID, "persisted");
            written.add(db.messages().append(conversation.id(), Role.USER, "question", MessageStatus.COMPLETE));
            written.add(db.messages().append(conversation.id(), Role.ASSISTANT, "ans", MessageStatus.GENERATING));
            conversation = db.conversations().find(OWNER_ID, conversation.id()).orElseThrow();
            firstVersions = schemaVersionRows(db);
        }
        try (Database db = Database.open(file)) {
            assertThat(db.schemaVersion()).isEqualTo(5);
            assertThat(schemaVersionRows(db)).isEqualTo(firstVersions).hasSize(5);
            assertThat(db.conversations().list(OWNER_ID)).containsExactly(conversation);
            assertThat(db.messages().list(conversation.id())).isEqualTo(written);

            assertThat(db.messages().markInterrupted()).isEqualTo(1);
        }
        try (Database db = Database.open(file)) {
            assertThat(db.messages().last(conversation.id()).orElseThrow().status()).isEqualTo(MessageStatus.PARTIAL);
            assertThat(db.messages().last(conversation.id()).orElseThrow().content()).isEqualTo("ans");
        }
    }

    @Test
    void databaseFromANewerVersionIsRefusedAndLeftUntouched() throws Exception {
        Path file = dir.resolve("lifelong.db");
        try (Database db = Database.open(file)) {
            db.conversations().create(OWNER_ID, "from the future");
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO schema_version (version, description, applied_at) VALUES (7, 'future', 0)");
        }
        byte[] before = Files.readAllBytes(file);

        assertThatThrownBy(() -> Database.open(file))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining(file.toAbsolutePath().toString())
                .hasMessageContaining("schema version 7")
                .hasMessageContaining("up to 5")
                .hasMessageContaining("upgrade Lifelong");
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    @Test
    void fileThatIsNotSqliteIsRefusedByNameAndLeftUntouched() throws Exception {
        Path file = dir.resolve("notes.db");
        byte[] garbage = new byte[8192];
        new Random(42).nextBytes(garbage);
        Files.write(file, garbage);

        assertThatThrownBy(() -> Database.open(file))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining(file.toAbsolutePath().toString())
                .hasMessageContaining("not a SQLite database");
        assertThat(Files.readAllBytes(file)).isEqualTo(garbage);
    }

    @Test
    void directoryInsteadOfFileIsRefusedClearly() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("lifelong.db"));
        assertThatThrownBy(() -> Database.open(folder))
                .isInstanceOf(StorageException.class).hasMessageContaining(folder.toString());
    }

    @Test
    void appliesOnlyNewMigrationsOnUpgrade() throws Exception {
        Path file = dir.resolve("lifelong.db");
        try (Database db = Database.open(file)) {
            db.conversations().create(OWNER_ID, "old");
        }
        MigrationRunner v2 = new MigrationRunner(List.of(
                "db/migration/V1__init.sql", "db/migration/V2__memories.sql", "db/migration/V3__lifelong_loop.sql", "db/migration/V4__accounts.sql", "db/migration/V5__stable_user_ids.sql", "db/test-migration/V6__add_pinned.sql"));
        try (Database db = Database.open(file, java.time.Clock.systemUTC(), v2)) {
            assertThat(db.schemaVersion()).isEqualTo(6);
            assertThat(schemaVersionRows(db)).hasSize(6);
            int pinned = db.read(c -> {
                try (ResultSet rs = c.createStatement().executeQuery("SELECT pinned FROM conversations")) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            assertThat(pinned).isZero();
            assertThat(db.conversations().list(OWNER_ID)).extracting(Conversation::title).containsExactly("old");
        }
        // The V1-only code now meets a V2 database.
        assertThatThrownBy(() -> Database.open(file)).isInstanceOf(StorageException.class)
                .hasMessageContaining("schema version 6");
    }

    @Test
    void failedMigrationIsRolledBackCompletely() throws Exception {
        Path file = dir.resolve("lifelong.db");
        try (Database db = Database.open(file)) {
            db.conversations().create(OWNER_ID, "survives");
        }
        MigrationRunner broken = new MigrationRunner(List.of(
                "db/migration/V1__init.sql", "db/migration/V2__memories.sql", "db/migration/V3__lifelong_loop.sql", "db/migration/V4__accounts.sql", "db/migration/V5__stable_user_ids.sql", "db/test-migration/V6__broken.sql"));
        assertThatThrownBy(() -> Database.open(file, java.time.Clock.systemUTC(), broken))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("V6__broken.sql")
                .hasMessageContaining("rolled back");
        try (Database db = Database.open(file)) {
            assertThat(db.schemaVersion()).isEqualTo(5);
            boolean halfTable = db.read(c -> {
                try (ResultSet rs = c.createStatement().executeQuery(
                        "SELECT 1 FROM sqlite_master WHERE name = 'half_done'")) {
                    return rs.next();
                }
            });
            assertThat(halfTable).as("table created by the first statement of the failed migration").isFalse();
            assertThat(db.conversations().list(OWNER_ID)).extracting(Conversation::title).containsExactly("survives");
        }
    }

    @Test
    void migrationNamesMustBeNumberedWithoutGaps() {
        assertThatThrownBy(() -> new MigrationRunner(List.of("db/migration/V2__x.sql")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MigrationRunner(List.of("db/migration/init.sql")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void statementSplitterRespectsQuotesAndComments() {
        assertThat(MigrationRunner.splitStatements("""
                -- a comment; with a semicolon
                CREATE TABLE t (x TEXT DEFAULT 'a;b''c'); /* block; comment */
                INSERT INTO t VALUES (";");
                """)).containsExactly("CREATE TABLE t (x TEXT DEFAULT 'a;b''c')", "INSERT INTO t VALUES (\";\")");
    }

    @Test
    void manyThreadsAppendingToDifferentConversationsLoseNothing() throws Exception {
        int threads = 8;
        int perThread = 40;
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            List<Conversation> conversations = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                conversations.add(db.conversations().create(OWNER_ID, "thread " + t));
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<Message>>> futures = new ArrayList<>();
            for (Conversation conversation : conversations) {
                Callable<List<Message>> writer = () -> {
                    start.await();
                    List<Message> mine = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        mine.add(db.messages().append(conversation.id(), i % 2 == 0 ? Role.USER : Role.ASSISTANT,
                                conversation.title() + " #" + i, MessageStatus.COMPLETE));
                        db.conversations().list(OWNER_ID); // readers interleave with writers
                    }
                    return mine;
                };
                futures.add(pool.submit(writer));
            }
            start.countDown();
            pool.shutdown();
            assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

            for (int t = 0; t < threads; t++) {
                List<Message> written = futures.get(t).get();
                assertThat(db.messages().list(conversations.get(t).id())).isEqualTo(written).hasSize(perThread);
            }
            int total = db.read(c -> {
                try (ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM messages")) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            assertThat(total).isEqualTo(threads * perThread);
        }
    }

    @Test
    void twoDatabasesOnTheSameFileWriteConcurrentlyWithoutBusyErrors() throws Exception {
        // Stands in for a second process (the trainer, a CLI) holding the same file: BEGIN IMMEDIATE + busy_timeout
        // make the writers take turns instead of failing with SQLITE_BUSY.
        Path file = dir.resolve("lifelong.db");
        int perWriter = 60;
        try (Database first = Database.open(file); Database second = Database.open(file)) {
            Conversation a = first.conversations().create(OWNER_ID, "a");
            Conversation b = second.conversations().create(OWNER_ID, "b");
            ExecutorService pool = Executors.newFixedThreadPool(2);
            CountDownLatch start = new CountDownLatch(1);
            Future<?> writesA = pool.submit(() -> {
                start.await();
                for (int i = 0; i < perWriter; i++) {
                    first.messages().append(a.id(), Role.USER, "a" + i, MessageStatus.COMPLETE);
                }
                return null;
            });
            Future<?> writesB = pool.submit(() -> {
                start.await();
                for (int i = 0; i < perWriter; i++) {
                    second.messages().append(b.id(), Role.USER, "b" + i, MessageStatus.COMPLETE);
                }
                return null;
            });
            start.countDown();
            writesA.get(60, TimeUnit.SECONDS);
            writesB.get(60, TimeUnit.SECONDS);
            pool.shutdown();

            assertThat(first.messages().list(b.id())).hasSize(perWriter);
            assertThat(second.messages().list(a.id())).extracting(Message::content)
                    .containsExactlyElementsOf(java.util.stream.IntStream.range(0, perWriter)
                            .mapToObj(i -> "a" + i).toList());
        }
    }

    @Test
    void emptyExistingFileBecomesAFreshDatabase() throws Exception {
        Path file = Files.createFile(dir.resolve("lifelong.db"));
        try (Database db = Database.open(file)) {
            assertThat(db.schemaVersion()).isEqualTo(5);
        }
    }

    @Test
    void usersCanBeAddedAndNeedAName() {
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            long second = Users.create(db, "第二");
            long third = Users.create(db, "third");
            assertThat(second).isEqualTo(2);
            assertThat(third).isEqualTo(3);
            assertThatThrownBy(() -> Users.create(db, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
            assertThat(db.conversations().create(second, "x").userId()).isEqualTo(second);
        }
    }

    @Test
    void v5KeepsEveryRowAndNeverGivesARemovedUsersIdToSomeoneElse() throws Exception {
        Path file = dir.resolve("lifelong.db");
        MigrationRunner v4 = new MigrationRunner(List.of("db/migration/V1__init.sql", "db/migration/V2__memories.sql",
                "db/migration/V3__lifelong_loop.sql", "db/migration/V4__accounts.sql"));
        long ada;
        long bob;
        Conversation adas;
        try (Database db = Database.open(file, java.time.Clock.systemUTC(), v4)) {
            assertThat(db.schemaVersion()).isEqualTo(4);
            ada = Users.create(db, "ada");
            bob = Users.create(db, "bob");
            adas = db.conversations().create(ada, "ada's");
            db.messages().append(adas.id(), Role.USER, "hello", MessageStatus.COMPLETE);
            db.memories().add(ada, MemoryKind.FACT, "Ada keeps bees.", null);
            db.accounts().createApiKey(ada, "laptop", true);
            long user = ada;
            db.inTransaction(c -> c.createStatement().executeUpdate("INSERT INTO sessions (token_hash, user_id, csrf_token,"
                    + " created_at, expires_at) VALUES ('hash', " + user + ", 'csrf', 0, 9999999999999)"));
            db.conversations().create(bob, "bob's");
        }
        try (Database db = Database.open(file)) {
            assertThat(db.schemaVersion()).isEqualTo(5);
            assertThat(pragma(db, "foreign_keys")).as("back on after the rebuild").isEqualTo("1");
            assertThat(db.accounts().list()).extracting(Accounts.Account::name).containsExactly("owner", "ada", "bob");
            assertThat(db.conversations().list(ada)).extracting(Conversation::id).containsExactly(adas.id());
            assertThat(db.messages().list(adas.id())).extracting(Message::content).containsExactly("hello");
            assertThat(db.memories().list(ada, false, 10, 0)).hasSize(1);
            assertThat(db.accounts().keys(ada)).hasSize(1);
            String session = db.read(c -> {
                try (ResultSet rs = c.createStatement().executeQuery("SELECT user_id, key_id FROM sessions")) {
                    rs.next();
                    return rs.getLong(1) + "/" + rs.getObject(2);
                }
            });
            assertThat(session).as("the session is kept, signed in with no key").isEqualTo(ada + "/null");
            // the foreign keys still cascade: removing bob (the newest user) takes his data with him
            assertThat(db.accounts().remove(bob)).isTrue();
            assertThat(db.conversations().list(bob)).isEmpty();
            // and his id is not given out again
            long next = db.accounts().create("carol", Accounts.Role.MEMBER, null).id();
            assertThat(next).isGreaterThan(bob);
            assertThat(db.conversations().list(next)).isEmpty();
        }
    }

    private static String pragma(Database db, String name) {
        return db.read(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("PRAGMA " + name)) {
                rs.next();
                return rs.getString(1);
            }
        });
    }

    private static List<Object> schemaVersionRows(Database db) {
        return db.read(c -> {
            List<Object> rows = new ArrayList<>();
            try (ResultSet rs = c.createStatement().executeQuery(
                    "SELECT version, description, applied_at FROM schema_version ORDER BY version")) {
                while (rs.next()) {
                    rows.add(List.of(rs.getInt(1), rs.getString(2), rs.getLong(3)));
                }
            }
            return rows;
        });
    }

}
