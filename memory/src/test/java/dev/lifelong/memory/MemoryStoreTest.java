package dev.lifelong.memory;

import static dev.lifelong.memory.Users.OWNER_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryStoreTest {
    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
    private Database db;
    private MemoryStore memories;

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("lifelong.db"), clock);
        memories = db.memories();
    }

    @AfterEach
    void close() {
        db.close();
    }

    private List<Long> search(long user, String query) {
        return memories.searchText(user, query, 10).stream().map(MemoryStore.TextHit::memoryId).toList();
    }

    @Test
    void addedMemoriesAreListedNewestFirstAndSurviveReopening() {
        Memory paris = memories.add(OWNER_ID, MemoryKind.FACT, "  The user lives in Paris. ", null);
        clock.advance(Duration.ofMinutes(1));
        Memory tea = memories.add(OWNER_ID, MemoryKind.PREFERENCE, "The user likes green tea.", null);
        assertThat(paris.text()).isEqualTo("The user lives in Paris.");
        assertThat(paris.live()).isTrue();
        assertThat(memories.list(OWNER_ID, false, 10, 0)).containsExactly(tea, paris);
        db.close();
        db = Database.open(dir.resolve("lifelong.db"), clock);
        assertThat(db.memories().list(OWNER_ID, false, 10, 0)).containsExactly(tea, paris);
        assertThat(db.memories().searchText(OWNER_ID, "tea", 5)).extracting(MemoryStore.TextHit::memoryId)
                .containsExactly(tea.id());
    }

    @Test
    void keywordSearchStemsEnglishAndFindsChineseWordsInsideSentences() {
        Memory berlin = memories.add(OWNER_ID, MemoryKind.FACT, "The user lives in Berlin.", null);
        Memory zh = memories.add(OWNER_ID, MemoryKind.FACT, "用户住在柏林，在一家医院工作。", null);
        Memory cat = memories.add(OWNER_ID, MemoryKind.FACT, "用户家的猫叫包子。", null);
        assertThat(search(OWNER_ID, "where do I live")).containsExactly(berlin.id());
        assertThat(search(OWNER_ID, "柏林")).containsExactly(zh.id());
        assertThat(search(OWNER_ID, "医院")).containsExactly(zh.id());
        assertThat(search(OWNER_ID, "我家猫叫什么名字？")).first().isEqualTo(cat.id());
        assertThat(search(OWNER_ID, "猫")).containsExactly(cat.id());
        assertThat(search(OWNER_ID, "Ｂｅｒｌｉｎ")).as("full-width letters fold to ASCII").containsExactly(berlin.id());
    }

    @Test
    void searchSyntaxTypedByTheUserIsPlainText() {
        Memory m = memories.add(OWNER_ID, MemoryKind.FACT, "The user said \"NEAR\" AND OR * are fine.", null);
        for (String query : List.of("\"", "NEAR(", "AND OR", "*", "col:term", "'; DROP TABLE memories; --", "", "   ", "!!!")) {
            assertThat(memories.searchText(OWNER_ID, query, 5)).as(query).allSatisfy(h -> assertThat(h.memoryId()).isEqualTo(m.id()));
        }
        assertThat(search(OWNER_ID, "near")).containsExactly(m.id());
    }

    @Test
    void supersededMemoryIsKeptAsHistoryButNeverSearched() {
        Memory paris = memories.add(OWNER_ID, MemoryKind.FACT, "The user lives in Paris.", null);
        clock.advance(Duration.ofDays(3));
        Memory berlin = memories.supersede(OWNER_ID, paris.id(), MemoryKind.FACT, "The user moved to Berlin.", null);
        Memory old = memories.find(OWNER_ID, paris.id()).orElseThrow();
        assertThat(old.supersededBy()).isEqualTo(berlin.id());
        assertThat(old.live()).isFalse();
        assertThat(search(OWNER_ID, "paris lives")).doesNotContain(paris.id());
        assertThat(memories.list(OWNER_ID, false, 10, 0)).containsExactly(berlin);
        assertThat(memories.list(OWNER_ID, true, 10, 0)).extracting(Memory::id).containsExactly(berlin.id(), paris.id());
        assertThat(memories.findLive(OWNER_ID, List.of(paris.id(), berlin.id()))).containsExactly(berlin);
        assertThatThrownBy(() -> memories.supersede(OWNER_ID, paris.id(), MemoryKind.FACT, "again", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no live memory");
    }

    @Test
    void deletedMemoryIsNeverReturnedAndForgottenOneLosesItsText() {
        Conversation c = db.conversations().create(OWNER_ID, "chat");
        Message told = db.messages().append(c.id(), Role.USER, "My sister is called Lea.", MessageStatus.COMPLETE);
        Memory lea = memories.add(OWNER_ID, MemoryKind.FACT, "The user's sister is called Lea.", told.id());
        Memory dog = memories.add(OWNER_ID, MemoryKind.FACT, "The user has a dog called Rex.", null);
        memories.putVector(lea.id(), "m", new float[] {1, 0});
        memories.putVector(dog.id(), "m", new float[] {0, 1});

        assertThat(memories.delete(OWNER_ID, dog.id())).isTrue();
        assertThat(memories.delete(OWNER_ID, dog.id())).as("second time").isFalse();
        assertThat(search(OWNER_ID, "dog Rex")).isEmpty();
        assertThat(memories.list(OWNER_ID, true, 10, 0)).extracting(Memory::id).containsExactly(lea.id());
        assertThat(memories.vectors(OWNER_ID, "m")).containsOnlyKeys(lea.id());
        assertThatThrownBy(() -> memories.setPinned(OWNER_ID, dog.id(), true)).isInstanceOf(IllegalArgumentException.class);

        assertThat(memories.forget(OWNER_ID, lea.id())).isTrue();
        Memory forgotten = memories.find(OWNER_ID, lea.id()).orElseThrow();
        assertThat(forgotten.state()).isEqualTo(Memory.State.FORGOTTEN);
        assertThat(forgotten.text()).isEmpty();
        assertThat(search(OWNER_ID, "sister Lea")).isEmpty();
        assertThat(memories.vectors(OWNER_ID, "m")).isEmpty();
        assertThat(memories.forgottenSourceMessages(OWNER_ID)).containsExactly(told.id());
        assertThat(memories.countLive(OWNER_ID)).isZero();
    }

    @Test
    void anotherUsersMemoriesCannotBeSeenOrChanged() {
        long other = Users.create(db, "guest");
        Memory mine = memories.add(OWNER_ID, MemoryKind.FACT, "The user plays the cello.", null);
        Memory theirs = memories.add(other, MemoryKind.FACT, "The user plays the cello too.", null);
        assertThat(search(other, "cello")).containsExactly(theirs.id());
        assertThat(memories.find(other, mine.id())).isEmpty();
        assertThat(memories.findLive(other, List.of(mine.id()))).isEmpty();
        assertThat(memories.delete(other, mine.id())).isFalse();
        assertThat(memories.forget(other, mine.id())).isFalse();
        assertThatThrownBy(() -> memories.update(other, mine.id(), MemoryKind.FACT, "hijack")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> memories.supersede(other, mine.id(), MemoryKind.FACT, "hijack", null)).isInstanceOf(IllegalArgumentException.class);
        Conversation c = db.conversations().create(OWNER_ID, "mine");
        Message msg = db.messages().append(c.id(), Role.USER, "secret", MessageStatus.COMPLETE);
        assertThatThrownBy(() -> memories.add(other, MemoryKind.FACT, "stolen", msg.id()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user's conversations");
        assertThat(memories.find(OWNER_ID, mine.id()).orElseThrow()).isEqualTo(mine);
    }

    @Test
    void badInputIsRefusedAndStoresNothing() {
        assertThatThrownBy(() -> memories.add(OWNER_ID, MemoryKind.FACT, "  ", null)).hasMessageContaining("empty");
        assertThatThrownBy(() -> memories.add(OWNER_ID, MemoryKind.FACT, null, null)).hasMessageContaining("empty");
        assertThatThrownBy(() -> memories.add(OWNER_ID, MemoryKind.FACT, "x".repeat(MemoryStore.MAX_TEXT_CHARS + 1), null))
                .hasMessageContaining("at most");
        assertThatThrownBy(() -> memories.add(OWNER_ID, null, "text", null)).hasMessageContaining("kind");
        assertThatThrownBy(() -> memories.add(999, MemoryKind.FACT, "text", null)).hasMessageContaining("no user");
        assertThatThrownBy(() -> memories.add(OWNER_ID, MemoryKind.FACT, "text", 12345L)).hasMessageContaining("no message");
        assertThatThrownBy(() -> memories.list(OWNER_ID, false, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MemoryKind.fromWire("opinion")).hasMessageContaining("fact, preference, correction, event");
        assertThatThrownBy(() -> memories.putVector(1, "m", new float[] {Float.NaN})).hasMessageContaining("finite");
        assertThat(memories.list(OWNER_ID, true, 10, 0)).isEmpty();
    }

    @Test
    void editingReindexesTheTextAndDropsTheStaleVector() {
        Memory m = memories.add(OWNER_ID, MemoryKind.FACT, "The user works at Acme.", null);
        memories.putVector(m.id(), "m", new float[] {1, 0});
        clock.advance(Duration.ofHours(1));
        Memory edited = memories.update(OWNER_ID, m.id(), MemoryKind.EVENT, "The user starts at Globex in May.");
        assertThat(edited.kind()).isEqualTo(MemoryKind.EVENT);
        assertThat(edited.updatedAt()).isAfter(m.updatedAt());
        assertThat(search(OWNER_ID, "acme")).isEmpty();
        assertThat(search(OWNER_ID, "globex")).containsExactly(m.id());
        assertThat(memories.vectors(OWNER_ID, "m")).isEmpty();
        assertThat(memories.withoutVector("m", 10)).containsExactly(edited);
        Memory pinned = memories.setPinned(OWNER_ID, m.id(), true);
        assertThat(memories.pinned(OWNER_ID)).containsExactly(pinned);
    }

    @Test
    void memoryExtractionIsOnUntilTheUserSwitchesItOff() {
        UserSettings settings = new UserSettings(db);
        long guest = Users.create(db, "guest");
        assertThat(settings.memoryExtraction(OWNER_ID)).isTrue();
        settings.setMemoryExtraction(OWNER_ID, false);
        assertThat(settings.memoryExtraction(OWNER_ID)).isFalse();
        assertThat(settings.memoryExtraction(guest)).as("per user").isTrue();
        settings.setMemoryExtraction(OWNER_ID, true);
        assertThat(settings.memoryExtraction(OWNER_ID)).isTrue();
        assertThatThrownBy(() -> settings.setMemoryExtraction(999, false)).hasMessageContaining("no user");
    }

    @Test
    void correctionsAreFoundByTheConversationTheyWereMadeIn() {
        Conversation a = db.conversations().create(OWNER_ID, "a");
        Conversation b = db.conversations().create(OWNER_ID, "b");
        Message inA = db.messages().append(a.id(), Role.USER, "What is my sister called?", MessageStatus.COMPLETE);
        Message inB = db.messages().append(b.id(), Role.USER, "Where do I work?", MessageStatus.COMPLETE);
        Memory sister = memories.add(OWNER_ID, MemoryKind.CORRECTION, "Your sister is called Mia.", inA.id());
        memories.add(OWNER_ID, MemoryKind.CORRECTION, "You work at Globex.", inB.id());
        memories.add(OWNER_ID, MemoryKind.FACT, "The user likes tea.", inA.id());
        Memory gone = memories.add(OWNER_ID, MemoryKind.CORRECTION, "Your sister is called Lea.", inA.id());
        memories.delete(OWNER_ID, gone.id());
        assertThat(memories.correctionsIn(OWNER_ID, a.id(), 3)).containsExactly(sister);
        assertThat(memories.correctionsIn(Users.create(db, "guest"), a.id(), 3)).isEmpty();
    }
}
