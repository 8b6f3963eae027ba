package dev.lifelong.assistant.defaultmodel;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestServer;
import dev.lifelong.assistant.app.ModelResolver;
import dev.lifelong.lora.LoraConfig;
import dev.lifelong.lora.TrainerProcess;
import dev.lifelong.lora.TrainingConfig;
import dev.lifelong.lora.TrainingJob;
import dev.lifelong.lora.data.ChatExample;
import dev.lifelong.lora.data.ChatTokenizer;
import dev.lifelong.lora.data.TokenizedDataset;
import dev.lifelong.lora.data.Turn;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped default model (the seedling, {@code models/seedling/seedling.gguf}): it chats, and LoRA training on it
 * lowers the loss. Until the seedling is built (issue 9) these tests are skipped, and say so.
 */
@Tag("slow")
class DefaultModelTest {
    @TempDir Path dir;
    Path seedling;

    @BeforeEach
    void findSeedling() {
        Path repo = Path.of("").toAbsolutePath().getParent();
        seedling = repo.resolve(ModelResolver.SEEDLING);
        Assumptions.assumeTrue(Files.isRegularFile(seedling), "the seedling is not built yet (issue 9): " + seedling);
    }

    @Test
    void chatsWithTheDefaultModel() throws Exception {
        try (TestServer server = TestServer.start(dir, null, 1024, 64, seedling)) {
            var r = server.post("/v1/chat/completions", "{\"model\":\"default\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello! How are you?\"}]}");
            assertThat(r.statusCode()).isEqualTo(200);
            String answer = new ObjectMapper().readTree(r.body()).at("/choices/0/message/content").asText();
            assertThat(answer).isNotBlank();
        }
    }

    @Test
    void theDefaultModelExtractsSchemaValidMemoriesFromAChatUnlessSwitchedOff() throws Exception {
        try (TestServer server = TestServer.start(dir, null, 1024, 48, seedling)) {
            ObjectMapper json = new ObjectMapper();
            long conv = json.readTree(server.post("/api/conversations", "{}").body()).get("id").asLong();
            server.stream("/api/conversations/" + conv + "/messages", "{\"content\":\"By the way, my sister is called Lea and I live in Oslo.\"}", null);
            assertThat(server.assistant.extraction().awaitIdle(java.time.Duration.ofSeconds(120))).isTrue();
            var memories = json.readTree(server.get("/api/memories").body());
            // what the seedling extracts is not always right (see its manifest); that it is valid, stored and linked is
            assertThat(memories).isNotEmpty();
            var messages = json.readTree(server.get("/api/conversations/" + conv + "/messages").body());
            long userMessage = messages.get(0).get("id").asLong();
            for (var m : memories) {
                assertThat(m.get("text").asText()).isNotBlank();
                assertThat(m.get("kind").asText()).isIn("fact", "preference", "correction", "event");
                assertThat(m.get("sourceMessageId").asLong()).isEqualTo(userMessage);
            }

            server.patch("/api/settings", "{\"memoryExtraction\":false}");
            int before = memories.size();
            server.stream("/api/conversations/" + conv + "/messages", "{\"content\":\"Also, my brother is called Tom and I work as a nurse.\"}", null);
            assertThat(server.assistant.extraction().awaitIdle(java.time.Duration.ofSeconds(120))).isTrue();
            assertThat(json.readTree(server.get("/api/memories").body()).size()).isEqualTo(before);
        }
    }

    @Test
    void aFewTrainingStepsOnTheDefaultModelLowerTheLoss() throws Exception {
        List<ChatExample> examples = new ArrayList<>();
        for (String[] qa : new String[][]{{"What is my cat called?", "Your cat is called Miso."},
                {"Where do I live?", "You live in Lisbon."}, {"What do I do for work?", "You are a carpenter."}}) {
            examples.add(new ChatExample(List.of(Turn.user(qa[0]), Turn.assistant(qa[1]))));
        }
        TokenizedDataset data;
        try (ChatTokenizer tokenizer = ChatTokenizer.open(seedling)) {
            data = tokenizer.tokenize(examples, 512);
        }
        TrainingConfig training = TrainingConfig.defaults().withLr(2e-3f).withWarmup(2).withEpochs(4).withSeed(1);
        Path adapter = dir.resolve("seedling-lora.gguf");
        TrainingJob job = new TrainingJob(seedling, LoraConfig.of(8, 1), training, dir.resolve("data.seqs"), dir.resolve("a.ckpt"), adapter, 0);
        var outcome = TrainerProcess.run(job, data.sequences(), p -> { });
        List<Double> losses = outcome.result().lossHistory();
        double first = (losses.get(0) + losses.get(1) + losses.get(2)) / 3;
        double last = (losses.get(losses.size() - 1) + losses.get(losses.size() - 2) + losses.get(losses.size() - 3)) / 3;
        assertThat(last).isLessThan(first);
        assertThat(adapter).exists();
    }
}
