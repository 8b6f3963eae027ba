package dev.lifelong.assistant.memory;

import static dev.lifelong.memory.Users.OWNER_ID;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.runtime.Cancellation;
import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.assistant.runtime.GenerationOptions;
import dev.lifelong.assistant.runtime.LlamaRuntime;
import dev.lifelong.assistant.runtime.RuntimeOptions;
import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.Memory;
import dev.lifelong.memory.MemoryKind;
import dev.lifelong.memory.Message;
import dev.lifelong.memory.MessageStatus;
import dev.lifelong.memory.Role;
import dev.lifelong.memory.retrieval.MemoryService;
import dev.lifelong.memory.retrieval.OnnxEmbedder;
import dev.lifelong.memory.retrieval.RetrievedMemory;
import dev.lifelong.seedling.corpus.ExtractionSchema;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What happens to extracted memories, on a real SQLite file with the real embedding models. The extractor here is
 * scripted (the tiny test model cannot extract); the seedling does the real thing in DefaultModelTest.
 */
class MemoryExtractionTest {
    @TempDir Path dir;
    Database db;
    MemoryService memory;
    final Deque<List<ExtractedMemory>> script = new ArrayDeque<>();
    MemoryExtraction extraction;
    Conversation conversation;

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("lifelong.db"));
        memory = new MemoryService(db.memories(), OnnxEmbedder.defaults(), Clock.systemUTC());
        extraction = new MemoryExtraction(exchange -> script.isEmpty() ? List.of() : script.pop(), () -> memory);
        conversation = db.conversations().create(OWNER_ID, "chat");
    }

    @AfterEach
    void close() {
        extraction.close();
        db.close();
    }

    private List<Memory> exchange(String said, ExtractedMemory... extracted) {
        Message user = db.messages().append(conversation.id(), Role.USER, said, MessageStatus.COMPLETE);
        Message answer = db.messages().append(conversation.id(), Role.ASSISTANT, "Noted.", MessageStatus.COMPLETE);
        script.add(List.of(extracted));
        return extraction.remember(OWNER_ID, user, answer);
    }

    private List<String> live() {
        return db.memories().list(OWNER_ID, false, 100, 0).stream().map(Memory::text).sorted().toList();
    }

    @Test
    void aNewFactAboutTheSameThingReplacesTheOldOne() {
        exchange("I live in Paris.", new ExtractedMemory(MemoryKind.FACT, "The user lives in Paris."));
        exchange("My sister is Lea.", new ExtractedMemory(MemoryKind.FACT, "The user's sister is called Lea."));
        List<Memory> stored = exchange("I moved to Berlin.", new ExtractedMemory(MemoryKind.FACT, "The user lives in Berlin."));
        assertThat(live()).containsExactly("The user lives in Berlin.", "The user's sister is called Lea.");
        assertThat(stored).singleElement().satisfies(m -> assertThat(m.sourceMessageId()).isNotNull());
        assertThat(db.memories().list(OWNER_ID, true, 100, 0)).filteredOn(m -> m.text().equals("The user lives in Paris."))
                .singleElement().satisfies(m -> assertThat(m.supersededBy()).isEqualTo(stored.get(0).id()));
        List<RetrievedMemory> where = memory.retrieve(OWNER_ID, "Where do I live?", 5);
        assertThat(where).extracting(r -> r.memory().text()).doesNotContain("The user lives in Paris.");

        exchange("我住在巴黎。", new ExtractedMemory(MemoryKind.FACT, "用户住在巴黎。"));
        exchange("我搬到柏林了。", new ExtractedMemory(MemoryKind.FACT, "用户住在柏林。"));
        assertThat(live()).contains("用户住在柏林。").doesNotContain("用户住在巴黎。");
    }

    @Test
    void aCorrectionReplacesWhatItCorrects() {
        exchange("My sister is Lea.", new ExtractedMemory(MemoryKind.FACT, "The user's sister is called Lea."));
        exchange("No, my sister is called Mia.", new ExtractedMemory(MemoryKind.CORRECTION, "The user's sister is called Mia."));
        assertThat(live()).containsExactly("The user's sister is called Mia.");
    }

    @Test
    void preferencesAndUnrelatedFactsAccumulateAndRepeatsAreNotStoredTwice() {
        exchange("I like green tea.", new ExtractedMemory(MemoryKind.PREFERENCE, "The user likes green tea."));
        exchange("I like jazz too.", new ExtractedMemory(MemoryKind.PREFERENCE, "The user likes jazz."));
        exchange("I have a dog, Rex.", new ExtractedMemory(MemoryKind.FACT, "The user has a dog called Rex."));
        exchange("And a cat, Miso.", new ExtractedMemory(MemoryKind.FACT, "The user has a cat called Miso."));
        assertThat(exchange("Did I say I like green tea?", new ExtractedMemory(MemoryKind.PREFERENCE, "The user likes green tea")))
                .isEmpty();
        assertThat(live()).containsExactly("The user has a cat called Miso.", "The user has a dog called Rex.",
                "The user likes green tea.", "The user likes jazz.");
    }

    @Test
    void backgroundExtractionStoresWithoutBlocking() throws Exception {
        Message user = db.messages().append(conversation.id(), Role.USER, "I am vegetarian.", MessageStatus.COMPLETE);
        Message answer = db.messages().append(conversation.id(), Role.ASSISTANT, "Noted.", MessageStatus.COMPLETE);
        script.add(List.of(new ExtractedMemory(MemoryKind.PREFERENCE, "The user is vegetarian.")));
        extraction.submit(OWNER_ID, user, answer);
        assertThat(extraction.awaitIdle(Duration.ofSeconds(30))).isTrue();
        assertThat(live()).containsExactly("The user is vegetarian.");
    }

    @Test
    void theExtractionGrammarMakesEvenARandomModelWriteSchemaValidJson() {
        ExtractionSchema schema = ExtractionSchema.load();
        String grammar = LlamaRuntime.jsonSchemaGrammar(schema.text());
        try (LlamaRuntime runtime = LlamaRuntime.load(TestModels.tiny(), new RuntimeOptions(2, 0, 1024, 1))) {
            for (int seed = 1; seed <= 3; seed++) {
                String out = runtime.generate(List.of(ChatTurn.user("User: I live in Oslo.")),
                        new GenerationOptions(120, 0.8f, 1f, seed, List.of(), grammar), s -> { }, new Cancellation()).text();
                // a random model may run out of tokens mid-object; whatever it finished must follow the schema
                if (out.strip().endsWith("}")) assertThat(schema.validate(out.strip())).as(out).isEmpty();
                assertThat(out.strip()).startsWith("{");
            }
        }
    }
}
