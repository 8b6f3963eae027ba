package dev.lifelong.memory;

import static dev.lifelong.memory.Users.OWNER_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConversationStoreTest {
    private static final Instant START = Instant.parse("2026-01-02T03:04:05.678Z");

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(START);
    private Database db;
    private ConversationStore conversations;

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("lifelong.db"), clock);
        conversations = db.conversations();
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void createFindRenameDelete() {
        Conversation created = conversations.create(OWNER_ID, "Holiday plans");
        assertThat(created.userId()).isEqualTo(OWNER_ID);
        assertThat(created.title()).isEqualTo("Holiday plans");
        assertThat(created.createdAt()).isEqualTo(START);
        assertThat(created.updatedAt()).isEqualTo(START);

        assertThat(conversations.find(OWNER_ID, created.id())).contains(created);

        clock.advance(Duration.ofMinutes(1));
        Conversation renamed = conversations.rename(OWNER_ID, created.id(), "Trip to Kyoto").orElseThrow();
        assertThat(renamed.title()).isEqualTo("Trip to Kyoto");
        assertThat(renamed.createdAt()).isEqualTo(START);
        assertThat(renamed.updatedAt()).isEqualTo(START.plus(Duration.ofMinutes(1)));
        assertThat(conversations.find(OWNER_ID, created.id())).contains(renamed);

        assertThat(conversations.delete(OWNER_ID, created.id())).isTrue();
        assertThat(conversations.find(OWNER_ID, created.id())).isEmpty();
        assertThat(conversations.delete(OWNER_ID, created.id())).isFalse();
        assertThat(conversations.rename(OWNER_ID, created.id(), "gone")).isEmpty();
    }

    @Test
    void listIsMostRecentlyUpdatedFirstWithTiesByNewestId() {
        Conversation a = conversations.create(OWNER_ID, "a");
        Conversation b = conversations.create(OWNER_ID, "b"); // same millisecond as a
        clock.advance(Duration.ofSeconds(1));
        Conversation c = conversations.create(OWNER_ID, "c");

        assertThat(conversations.list(OWNER_ID)).extracting(Conversation::title).containsExactly("c", "b", "a");

        clock.advance(Duration.ofSeconds(1));
        db.messages().append(a.id(), Role.USER, "bump", MessageStatus.COMPLETE);
        assertThat(conversations.list(OWNER_ID)).extracting(Conversation::id).containsExactly(a.id(), c.id(), b.id());
    }

    @Test
    void anotherUsersConversationIsNotFoundRenamedOrDeleted() {
        long other = Users.create(db, "guest");
        assertThat(other).isNotEqualTo(OWNER_ID);
        Conversation mine = conversations.create(OWNER_ID, "mine");
        Conversation theirs = conversations.create(other, "theirs");

        assertThat(conversations.find(other, mine.id())).isEmpty();
        assertThat(conversations.rename(other, mine.id(), "stolen")).isEmpty();
        assertThat(conversations.delete(other, mine.id())).isFalse();
        assertThat(conversations.list(other)).containsExactly(theirs);
        assertThat(conversations.list(OWNER_ID)).containsExactly(mine);
        assertThat(conversations.find(OWNER_ID, mine.id())).contains(mine);
    }

    @Test
    void deletingAConversationDeletesItsMessages() throws Exception {
        Conversation keep = conversations.create(OWNER_ID, "keep");
        Conversation drop = conversations.create(OWNER_ID, "drop");
        db.messages().append(keep.id(), Role.USER, "stays", MessageStatus.COMPLETE);
        db.messages().append(drop.id(), Role.USER, "goes", MessageStatus.COMPLETE);
        db.messages().append(drop.id(), Role.ASSISTANT, "goes too", MessageStatus.COMPLETE);

        assertThat(conversations.delete(OWNER_ID, drop.id())).isTrue();

        assertThat(db.messages().list(drop.id())).isEmpty();
        assertThat(db.messages().list(keep.id())).extracting(Message::content).containsExactly("stays");
        int orphans = db.read(connection -> {
            try (var rs = connection.createStatement().executeQuery(
                    "SELECT COUNT(*) FROM messages WHERE conversation_id = " + drop.id())) {
                rs.next();
                return rs.getInt(1);
            }
        });
        assertThat(orphans).isZero();
    }

    @Test
    void badInputIsRejectedClearly() {
        assertThatThrownBy(() -> conversations.create(OWNER_ID, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("title");
        assertThatThrownBy(() -> conversations.create(42, "nobody"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("42");
        Conversation c = conversations.create(OWNER_ID, "x");
        assertThatThrownBy(() -> conversations.rename(OWNER_ID, c.id(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("title");
        assertThat(conversations.find(OWNER_ID, c.id())).contains(c);
    }

    @Test
    void closedDatabaseGivesStorageException() {
        db.close();
        assertThatThrownBy(() -> conversations.list(OWNER_ID))
                .isInstanceOf(StorageException.class).hasMessageContaining("closed");
    }
}
