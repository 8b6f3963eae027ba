package dev.lifelong.assistant.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.query.Query;
import dev.langchain4j.service.AiServices;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.model.ModelManager;
import dev.lifelong.assistant.runtime.Cancellation;
import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.assistant.runtime.GenerationOptions;
import dev.lifelong.assistant.runtime.RuntimeOptions;
import dev.lifelong.installer.models.ModelCatalog;
import dev.lifelong.installer.models.ModelDownloader;
import dev.lifelong.installer.models.ModelStore;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.MemoryKind;
import dev.lifelong.memory.Users;
import dev.lifelong.memory.retrieval.MemoryService;
import dev.lifelong.memory.retrieval.OnnxEmbedder;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A LangChain4j AI Service running on Lifelong: the real runtime (tiny model), the real memory and embedding model. */
class LangChain4jTest {
    @TempDir static Path dir;
    static ModelManager models;
    static Database db;
    static MemoryService memory;
    static final GenerationOptions GREEDY = new GenerationOptions(12, 0f, 1f, 7, List.of());

    @BeforeAll
    static void start() {
        models = new ModelManager(new RuntimeOptions(2, 0, 1024, 1), ModelCatalog.builtIn(), new ModelStore(dir.resolve("data")),
                dir.resolve("no-seedling.gguf"), new ModelDownloader());
        models.load(TestModels.tiny());
        db = Database.open(dir.resolve("lifelong.db"));
        memory = new MemoryService(db.memories(), new OnnxEmbedder(OnnxEmbedder.DEFAULT), Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        if (models != null) models.close();
        if (db != null) db.close();
    }

    @Test
    void chatModelAnswersExactlyAsTheRuntimeDoes() {
        LifelongChatModel model = new LifelongChatModel(models, GREEDY);
        ChatResponse response = model.chat(ChatRequest.builder()
                .messages(SystemMessage.from("You are terse."), UserMessage.from("Hello there"))
                .build());
        String direct = models.require().runtime().generate(List.of(ChatTurn.system("You are terse."), ChatTurn.user("Hello there")),
                GREEDY, s -> { }, new Cancellation()).text();
        assertThat(response.aiMessage().text()).isEqualTo(direct).isNotEmpty();
        assertThat(response.tokenUsage().outputTokenCount()).isPositive();
        assertThat(response.modelName()).isEqualTo("tiny");

        List<String> pieces = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(List.of(SystemMessage.from("You are terse."), UserMessage.from("Hello there")), new StreamingChatResponseHandler() {
            @Override public void onPartialResponse(String partial) { pieces.add(partial); }
            @Override public void onCompleteResponse(ChatResponse r) { done.complete(r); }
            @Override public void onError(Throwable t) { done.completeExceptionally(t); }
        });
        assertThat(String.join("", pieces)).isEqualTo(direct);
        assertThat(done.join().aiMessage().text()).isEqualTo(direct);
    }

    @Test
    void contentRetrieverReturnsTheUsersMemoriesBestFirst() {
        memory.add(Users.OWNER_ID, MemoryKind.FACT, "The user is learning Japanese.", null);
        memory.add(Users.OWNER_ID, MemoryKind.FACT, "The user has a dog called Rex.", null);
        List<Content> found = new MemoryContentRetriever(memory, Users.OWNER_ID, 1).retrieve(Query.from("What pet do I have?"));
        assertThat(found).hasSize(1);
        assertThat(found.get(0).textSegment().text()).isEqualTo("The user has a dog called Rex.");
        assertThat(found.get(0).textSegment().metadata().getString("kind")).isEqualTo("fact");
    }

    interface Helper {
        String chat(String message);
    }

    @Test
    void anAiServiceRunsOnLifelongWithItsMemory() throws Exception {
        memory.add(Users.OWNER_ID, MemoryKind.PREFERENCE, "The user prefers window seats.", null);
        List<String> seen = new ArrayList<>();
        MemoryContentRetriever retriever = new MemoryContentRetriever(memory, Users.OWNER_ID, 3);
        Helper helper = AiServices.builder(Helper.class)
                .chatModel(new LifelongChatModel(models, GREEDY))
                .contentRetriever(q -> {
                    List<Content> c = retriever.retrieve(q);
                    c.forEach(x -> seen.add(x.textSegment().text()));
                    return c;
                })
                .build();
        String answer = CompletableFuture.supplyAsync(() -> helper.chat("Which seat should I book?")).get(120, TimeUnit.SECONDS);
        assertThat(answer).isNotEmpty();
        assertThat(seen).contains("The user prefers window seats.");
    }

    @Test
    void toolsAreRefusedClearly() {
        LifelongChatModel model = new LifelongChatModel(models, GREEDY);
        assertThatThrownBy(() -> model.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                .toolSpecifications(dev.langchain4j.agent.tool.ToolSpecification.builder().name("t").build()).build()))
                .hasMessageContaining("does not support tools");
    }
}
