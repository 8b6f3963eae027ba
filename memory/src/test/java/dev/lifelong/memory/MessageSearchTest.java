package dev.lifelong.memory;

import static dev.lifelong.memory.Users.OWNER_ID;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MessageSearchTest {
    @TempDir
    Path dir;

    private static List<String> contents(List<MessageHit> hits) {
        return hits.stream().map(h -> h.message().content()).toList();
    }

    @Test
    void pastMessagesAreSearchableOnceFinishedAndOnlyByTheirOwner() {
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            Conversation trip = db.conversations().create(OWNER_ID, "Trip");
            db.messages().append(trip.id(), Role.USER, "Which trains go from Lyon to Geneva?", MessageStatus.COMPLETE);
            Message answer = db.messages().append(trip.id(), Role.ASSISTANT, "", MessageStatus.GENERATING);
            db.messages().finish(answer.id(), "Lyon", MessageStatus.GENERATING);
            assertThat(db.messages().search(OWNER_ID, "Lyon", 10)).hasSize(1);
            db.messages().finish(answer.id(), "The TER from Lyon Part-Dieu takes two hours.", MessageStatus.COMPLETE);
            db.messages().append(trip.id(), Role.USER, "我想去日内瓦看湖。", MessageStatus.COMPLETE);

            assertThat(contents(db.messages().search(OWNER_ID, "lyon", 10))).containsExactlyInAnyOrder(
                    "Which trains go from Lyon to Geneva?", "The TER from Lyon Part-Dieu takes two hours.");
            List<MessageHit> zh = db.messages().search(OWNER_ID, "日内瓦", 10);
            assertThat(contents(zh)).containsExactly("我想去日内瓦看湖。");
            assertThat(zh.get(0).conversationTitle()).isEqualTo("Trip");

            long guest = Users.create(db, "guest");
            assertThat(db.messages().search(guest, "lyon", 10)).isEmpty();

            db.messages().deleteFrom(trip.id(), answer.id());
            assertThat(contents(db.messages().search(OWNER_ID, "lyon", 10))).containsExactly("Which trains go from Lyon to Geneva?");
            db.conversations().delete(OWNER_ID, trip.id());
            assertThat(db.messages().search(OWNER_ID, "lyon", 10)).isEmpty();
            int left = db.read(c -> {
                try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM messages_fts")) {
                    return rs.getInt(1);
                }
            });
            assertThat(left).as("no index rows left behind").isZero();
        }
    }

    @Test
    void longMessagesGiveASnippetAroundTheMatch() {
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            Conversation c = db.conversations().create(OWNER_ID, "Long");
            String text = "filler ".repeat(100) + "the password hint is marmalade " + "more ".repeat(100);
            db.messages().append(c.id(), Role.USER, text, MessageStatus.COMPLETE);
            String snippet = db.messages().search(OWNER_ID, "marmalade", 5).get(0).snippet();
            assertThat(snippet).contains("marmalade").startsWith("…").endsWith("…").hasSizeLessThanOrEqualTo(162);
        }
    }

    @Test
    void messagesWrittenBeforeTheSearchIndexExistedAreIndexedOnOpen() throws Exception {
        Path file = dir.resolve("lifelong.db");
        MigrationRunner v1Only = new MigrationRunner(List.of("db/migration/V1__init.sql"));
        try (Database db = Database.open(file, Clock.systemUTC(), v1Only)) {
            Conversation c = db.conversations().create(OWNER_ID, "Old");
            // written as the V1 code did: rows only, no search index
            db.inTransaction(connection -> {
                try (var insert = connection.prepareStatement("INSERT INTO messages (conversation_id, role, content,"
                        + " status, created_at) VALUES (?, ?, ?, ?, 0)")) {
                    for (String[] row : new String[][] {{"user", "I planted tomatoes last spring.", "complete"},
                            {"assistant", "Tomatoes half-written", "generating"}, {"system", "tomatoes system", "complete"}}) {
                        insert.setLong(1, c.id());
                        insert.setString(2, row[0]);
                        insert.setString(3, row[1]);
                        insert.setString(4, row[2]);
                        insert.executeUpdate();
                    }
                }
                return null;
            });
        }
        try (Database db = Database.open(file)) {
            assertThat(db.schemaVersion()).isEqualTo(MigrationRunner.standard().latestVersion());
            assertThat(contents(db.messages().search(OWNER_ID, "tomatoes", 5))).containsExactly("I planted tomatoes last spring.");
        }
        try (Database db = Database.open(file)) {
            assertThat(db.messages().search(OWNER_ID, "tomatoes", 5)).as("indexed once, not twice").hasSize(1);
        }
    }
}
