package dev.lifelong.assistant.update;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import dev.lifelong.assistant.cli.LifelongCli;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.MessageStatus;
import dev.lifelong.memory.Role;
import dev.lifelong.memory.UpdateJobStore;
import dev.lifelong.memory.Users;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model that chats but cannot be trained (a gemma2 model: soft-capping, sliding window, post-norms) is served, and
 * the user is told at once, in words, that Lifelong will not train it — on the model screen, by "Train now", by
 * {@code doctor} and {@code update --now} — instead of finding a failed nightly job after three retries. Likewise a
 * model whose training does not fit in the memory that is free.
 */
@Timeout(300)
class UntrainableModelTest {
    @TempDir Path dir;

    @Test
    void aGemmaModelChatsAndIsRefusedForTrainingWithItsReason() throws Exception {
        Path gemma = RandomLlamaModel.gemma2(RandomLlamaModel.Spec.tinyGemma2()).write(dir.resolve("gemma2.gguf"));
        ObjectMapper json = new ObjectMapper();
        try (TestServer server = TestServer.start(dir.resolve("data"), gemma, 512, 4)) {
            JsonNode status = json.readTree(server.get("/api/status").body());
            assertThat(status.at("/model/trainable").asBoolean()).isFalse();
            assertThat(status.at("/model/training").asText())
                    .startsWith("chats; cannot be trained by Lifelong: the 'gemma2' architecture is not implemented");

            var answer = server.post("/v1/chat/completions",
                    "{\"model\":\"default\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);

            var train = server.post("/api/adapters/train", "");
            assertThat(train.statusCode()).isEqualTo(409);
            assertThat(json.readTree(train.body()).at("/error/message").asText()).contains("cannot be trained by Lifelong",
                    "'gemma2' architecture");
            assertThat(new UpdateJobStore(server.assistant.database()).list(Users.OWNER_ID, 5)).isEmpty();
        }

        String doctor = run(cli("doctor", "--model", gemma.toString(), "--data", dir.resolve("data").toString()));
        assertThat(doctor).contains("chats; cannot be trained by Lifelong: the 'gemma2' architecture");

        chat(dir.resolve("data"));
        Process update = cli("update", "--now", "--model", gemma.toString(), "--data", dir.resolve("data").toString()).start();
        String out = new String(update.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(update.waitFor()).as(out).isNotZero();
        assertThat(out).contains("cannot be trained by Lifelong").doesNotContain("\tat ");
    }

    @Test
    void trainingThatDoesNotFitInFreeMemoryIsRefusedBeforeItStarts() throws Exception {
        chat(dir);
        ProcessBuilder pb = cli("update", "--now", "--model", TestModels.tiny().toString(), "--data", dir.toString());
        pb.environment().put("LIFELONG_AVAILABLE_MEMORY", "300M");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isNotZero();
        assertThat(out).containsPattern("training this model needs about [0-9.]+ GB of memory; 0\\.3 GB are free now")
                .doesNotContain("\tat ");
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            // refused, not retried three times
            var jobs = new UpdateJobStore(db).list(Users.OWNER_ID, 5);
            assertThat(jobs).allSatisfy(j -> assertThat(j.attempts()).isLessThanOrEqualTo(1));
        }
    }

    private static void chat(Path dataDir) {
        try (Database db = Database.open(dataDir.resolve("lifelong.db"))) {
            Conversation c = db.conversations().create(Users.OWNER_ID, "garden");
            for (int i = 0; i < 3; i++) {
                db.messages().append(c.id(), Role.USER, "What grows in bed " + i + "?", MessageStatus.COMPLETE);
                db.messages().append(c.id(), Role.ASSISTANT, "Tomatoes grow in bed " + i + ".", MessageStatus.COMPLETE);
            }
        }
    }

    private static ProcessBuilder cli(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), LifelongCli.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true);
    }

    private static String run(ProcessBuilder pb) throws Exception {
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }
}
