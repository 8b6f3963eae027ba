package dev.lifelong.memory.retrieval;

import static dev.lifelong.memory.Users.OWNER_ID;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lifelong.memory.Database;
import dev.lifelong.memory.Memory;
import dev.lifelong.memory.MemoryKind;
import dev.lifelong.memory.MutableClock;
import dev.lifelong.memory.Users;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hybrid retrieval with the real ONNX embedding model on a real SQLite file. */
class MemoryServiceTest {
    private static Embedder embedder;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T08:00:00Z"));
    private Database db;
    private MemoryService memory;

    @BeforeAll
    static void loadModel() {
        // -Dlifelong.test.embedder=all-minilm-l6-v2-q runs the same behaviour against the other shipped model
        String name = System.getProperty("lifelong.test.embedder");
        embedder = new OnnxEmbedder(name == null ? OnnxEmbedder.DEFAULT : OnnxEmbedder.Model.named(name));
    }

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("lifelong.db"), clock);
        memory = new MemoryService(db.memories(), embedder, clock);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private List<String> texts(List<RetrievedMemory> retrieved) {
        return retrieved.stream().map(r -> r.memory().text()).toList();
    }

    private void addDistractors(long user) {
        for (String t : List.of("The user is learning Japanese.", "The user's favourite colour is teal.",
                "The user works as a nurse.", "The user has an exam on 5 December.", "The user likes hiking in autumn.",
                "用户喜欢喝乌龙茶。", "用户的生日是三月九日。", "The user is allergic to peanuts.")) {
            memory.add(user, MemoryKind.FACT, t, null);
        }
    }

    @Test
    void findsTheRightMemoryByMeaningWhenNoWordIsShared() {
        addDistractors(OWNER_ID);
        Memory dog = memory.add(OWNER_ID, MemoryKind.FACT, "The user has a dog called Rex.", null);
        List<RetrievedMemory> got = memory.retrieve(OWNER_ID, "What pet do I have?", 3);
        assertThat(got.get(0).memory()).isEqualTo(dog);
        assertThat(got.get(0).keywordRank()).as("no keyword in common").isZero();
        assertThat(got.get(0).vectorRank()).isEqualTo(1);
    }

    @Test
    void findsChineseMemoriesForChineseQuestions() {
        addDistractors(OWNER_ID);
        memory.add(OWNER_ID, MemoryKind.FACT, "用户住在杭州。", null);
        memory.add(OWNER_ID, MemoryKind.FACT, "用户的妹妹叫李娜。", null);
        assertThat(texts(memory.retrieve(OWNER_ID, "我住在哪个城市？", 3))).first().isEqualTo("用户住在杭州。");
        assertThat(texts(memory.retrieve(OWNER_ID, "我妹妹叫什么名字", 3))).first().isEqualTo("用户的妹妹叫李娜。");
    }

    @Test
    void deletedForgottenAndSupersededMemoriesAreNeverRetrieved() {
        addDistractors(OWNER_ID);
        Memory paris = memory.add(OWNER_ID, MemoryKind.FACT, "The user lives in Paris.", null);
        Memory sister = memory.add(OWNER_ID, MemoryKind.FACT, "The user's sister is called Lea.", null);
        Memory car = memory.add(OWNER_ID, MemoryKind.FACT, "The user drives a red Volvo.", null);
        memory.retrieve(OWNER_ID, "warm up the index", 1);
        Memory berlin = memory.supersede(OWNER_ID, paris.id(), MemoryKind.FACT, "The user moved to Berlin.", null);
        memory.delete(OWNER_ID, sister.id());
        memory.forget(OWNER_ID, car.id());
        for (String q : List.of("Where do I live?", "Paris", "What is my sister called?", "Lea", "What car do I drive?",
                "Volvo", "red")) {
            assertThat(memory.retrieve(OWNER_ID, q, 20)).as(q).extracting(RetrievedMemory::memory)
                    .extracting(Memory::id).doesNotContain(paris.id(), sister.id(), car.id());
        }
        assertThat(memory.retrieve(OWNER_ID, "Where do I live?", 1).get(0).memory()).isEqualTo(berlin);
    }

    @Test
    void pinnedMemoriesComeFirstWhateverTheQuery() {
        addDistractors(OWNER_ID);
        Memory name = memory.add(OWNER_ID, MemoryKind.FACT, "The user's name is Ada.", null);
        memory.setPinned(OWNER_ID, name.id(), true);
        List<RetrievedMemory> got = memory.retrieve(OWNER_ID, "Do I have an exam soon?", 2);
        assertThat(got).hasSize(3);
        assertThat(got.get(0).memory().id()).isEqualTo(name.id());
        assertThat(got.get(0).pinned()).isTrue();
        assertThat(got.get(1).memory().text()).isEqualTo("The user has an exam on 5 December.");
        assertThat(memory.retrieve(OWNER_ID, "", 5)).extracting(r -> r.memory().id()).containsExactly(name.id());
    }

    @Test
    void newerOfTwoEquallyGoodMemoriesWins() {
        Memory old = memory.add(OWNER_ID, MemoryKind.PREFERENCE, "The user likes jazz.", null);
        clock.advance(Duration.ofDays(90));
        Memory recent = memory.add(OWNER_ID, MemoryKind.PREFERENCE, "The user likes jazz.", null);
        List<RetrievedMemory> got = memory.retrieve(OWNER_ID, "music jazz", 2);
        assertThat(got).extracting(r -> r.memory().id()).containsExactly(recent.id(), old.id());
        assertThat(got.get(0).score()).isGreaterThan(got.get(1).score());
    }

    @Test
    void bothShippedModelsServeEnglishAndChineseQuestions() {
        memory = new MemoryService(db.memories(), OnnxEmbedder.defaults(), clock);
        addDistractors(OWNER_ID);
        Memory car = memory.add(OWNER_ID, MemoryKind.FACT, "The user drives a red Volvo.", null);
        Memory city = memory.add(OWNER_ID, MemoryKind.FACT, "用户住在杭州。", null);
        // the answer's prompt gets the top few: the right memory must be among them
        assertThat(memory.retrieve(OWNER_ID, "What vehicle do I own?", 3)).extracting(RetrievedMemory::memory).contains(car);
        assertThat(memory.retrieve(OWNER_ID, "我家在哪个城市？", 3)).extracting(RetrievedMemory::memory).contains(city);
        assertThat(db.memories().vectors(OWNER_ID, "all-minilm-l6-v2-q")).hasSize(10);
        assertThat(db.memories().vectors(OWNER_ID, "bge-small-zh-v15-q")).hasSize(10);
    }

    @Test
    void eachUserOnlyEverGetsTheirOwnMemories() {
        long guest = Users.create(db, "guest");
        memory.add(OWNER_ID, MemoryKind.FACT, "The user's bank PIN hint is 'blue door'.", null);
        Memory theirs = memory.add(guest, MemoryKind.FACT, "The user plays chess on Sundays.", null);
        assertThat(memory.retrieve(guest, "What is my bank PIN hint?", 10)).extracting(RetrievedMemory::memory)
                .containsExactly(theirs);
    }

    @Test
    void vectorsPersistAndAMissingVectorIsFilledInOnFirstSearch() {
        Memory dog = memory.add(OWNER_ID, MemoryKind.FACT, "The user has a dog called Rex.", null);
        Memory edited = db.memories().update(OWNER_ID, dog.id(), MemoryKind.FACT, "The user has a cat called Miso.");
        assertThat(db.memories().withoutVector(embedder.id(), 10)).containsExactly(edited);
        db.close();
        db = Database.open(dir.resolve("lifelong.db"), clock);
        memory = new MemoryService(db.memories(), embedder, clock);
        assertThat(memory.retrieve(OWNER_ID, "Which animal lives with me?", 1)).extracting(RetrievedMemory::memory)
                .containsExactly(edited);
        assertThat(db.memories().withoutVector(embedder.id(), 10)).isEmpty();
        assertThat(db.memories().vectors(OWNER_ID, embedder.id()).get(edited.id())).hasSize(embedder.dimension());
    }
}
