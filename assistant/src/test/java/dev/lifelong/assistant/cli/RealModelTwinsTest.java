package dev.lifelong.assistant.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestServer;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.gguf.ModelCompatibility;
import dev.lifelong.gguf.ModelTwins;
import dev.lifelong.installer.models.CatalogEntry;
import dev.lifelong.installer.models.ModelCatalog;
import dev.lifelong.lora.GgufLoraReader;
import dev.lifelong.lora.TransformerConfig;
import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.MessageStatus;
import dev.lifelong.memory.Role;
import dev.lifelong.memory.Users;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole lifelong loop on the exact-shape twin of every catalog model, as a user runs it: {@code lifelong train},
 * {@code lifelong update --now} with the default settings (train, evaluate, gate, record), the server answering with
 * the promoted adapter, and {@code export --merged}. Tiny models hid what broke at these sizes (direct-memory caps,
 * 150k vocabularies, Llama 3's rope_freqs and BOS), so this runs on the real shapes, with the fewest tokens that still
 * take every path.
 *
 * <p>The nightly update with default settings costs minutes per model on 2 cores (SmolLM2-360M: 228–604 s, Qwen2.5-0.5B:
 * 213 s in a fresh-clone run), so CI runs it on Qwen2.5-0.5B, the catalog's first model; on the others it runs
 * {@code train} (the child's memory plan at that size) and serving, and their whole nightly update and merge are measured by
 * {@code ./bench/run nightly} and {@code ./bench/run models} (README, "Models").
 */
@Tag("slow")
@Timeout(3600)
class RealModelTwinsTest {
    @TempDir Path dir;

    static List<ModelTwins.Twin> twins() {
        return ModelTwins.ALL;
    }

    /** The models whose whole loop (update, serving the adapter, merge) runs in CI; see the class comment. */
    static final java.util.Set<ModelTwins.Twin> FULL_LOOP_IN_CI = java.util.Set.of(ModelTwins.QWEN25_05B);

    @Test
    void everyCatalogModelHasATwin() {
        for (CatalogEntry e : ModelCatalog.builtIn().entries()) {
            ModelTwins.Twin twin = ModelTwins.forCatalogId(e.id()).orElse(null);
            assertThat(twin).as("twin of %s", e.id()).isNotNull();
            assertThat(twin.architecture()).isEqualTo(e.architecture());
            assertThat(twin.realFileBytes()).isEqualTo(e.sizeBytes());
        }
        assertThat(ModelTwins.ALL).hasSize(ModelCatalog.builtIn().entries().size());
    }

    @ParameterizedTest
    @MethodSource("twins")
    void trainUpdateServeAndMergeOnTheTwin(ModelTwins.Twin twin) throws Exception {
        Path model = ModelTwins.cached(twin, ModelTwins.sharedFolder());
        try (GgufFile gguf = GgufReader.read(model)) {
            ModelCompatibility.check(gguf);
        }
        long t0 = System.nanoTime();

        // lifelong train: a couple of steps on three examples
        Path examples = Files.writeString(dir.resolve("examples.jsonl"), TrainCommandTest.EXAMPLES);
        Path adapter = dir.resolve("trained.gguf");
        String trained = TrainCommandTest.run(cli("train", "--user", "alice", "--model", model.toString(), "--examples",
                examples.toString(), "--out", adapter.toString(), "--max-steps", "2", "--threads", "2"), 0);
        assertThat(trained).as(trained).contains("step 2/2");
        // the memory plan the child was started with covers what it used
        java.util.regex.Matcher peak = java.util.regex.Pattern
                .compile("peak memory of the training process ([0-9.]+) GB \\(planned ([0-9.]+) GB\\)").matcher(trained);
        assertThat(peak.find()).as(trained).isTrue();
        assertThat(Double.parseDouble(peak.group(1))).isLessThanOrEqualTo(Double.parseDouble(peak.group(2)));
        try (GgufFile gguf = GgufReader.read(model)) {
            assertThat(GgufLoraReader.read(adapter, TransformerConfig.from(gguf), 0).slots()).isNotEmpty();
        }
        long t1 = System.nanoTime();
        if (!FULL_LOOP_IN_CI.contains(twin)) {
            ObjectMapper mapper = new ObjectMapper();
            try (TestServer server = TestServer.start(dir, model, 1024, 8)) {
                var answer = server.post("/v1/chat/completions",
                        "{\"model\":\"default\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}");
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                assertThat(mapper.readTree(answer.body()).at("/choices/0/message/content").asText()).isNotEmpty();
                assertThat(server.assistant.updates().refusal()).isEmpty();
            }
            System.out.printf("twin %s: train %.0f s, serve %.0f s%n", twin.catalogId(), (t1 - t0) / 1e9,
                    (System.nanoTime() - t1) / 1e9);
            return;
        }

        // lifelong update --now: default settings, a day of six short conversations
        chat("gardens", 6);
        String updated = TrainCommandTest.run(cli("update", "--now", "--model", model.toString(), "--threads", "2"), 0);
        assertThat(updated).as(updated).contains("· training", "· evaluating").containsPattern("v1 (promoted|rejected)");
        JsonNode json = new ObjectMapper().readTree(jsonPart(TrainCommandTest.run(cli("adapters", "--json"), 0)));
        JsonNode v1 = json.get("versions").get(0);
        assertThat(v1.get("version").asInt()).isEqualTo(1);
        assertThat(v1.get("plasticity").isNumber()).isTrue();
        assertThat(v1.get("generalProbe").isNumber()).isTrue();
        assertThat(v1.get("verdict").asText()).as(updated).isEqualTo("promoted");
        long t2 = System.nanoTime();

        // the server answers the owner with the promoted adapter
        ObjectMapper mapper = new ObjectMapper();
        try (TestServer server = TestServer.start(dir, model, 1024, 8)) {
            JsonNode overview = mapper.readTree(server.get("/api/adapters").body());
            assertThat(overview.at("/serving/version").asInt()).as(overview.toString()).isEqualTo(1);
            var answer = server.post("/v1/chat/completions",
                    "{\"model\":\"default\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}");
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(mapper.readTree(answer.body()).at("/choices/0/message/content").asText()).isNotEmpty();
            assertThat(server.assistant.updates().refusal()).isEmpty();
        }
        long t3 = System.nanoTime();

        // export --merged: the adapter folded into the base, a model llama.cpp loads
        Path merged = dir.resolve("merged.gguf");
        TrainCommandTest.run(cli("export", "--model", model.toString(), "--out", dir.resolve("me.zip").toString(),
                "--merged", merged.toString(), "--merged-type", "q8_0"), 0);
        try (GgufFile gguf = GgufReader.read(merged)) {
            ModelCompatibility.check(gguf);
            assertThat(gguf.modelInfo().vocabSize()).isEqualTo(twin.vocabSize());
        }
        try (TestServer server = TestServer.start(dir.resolve("merged-data"), merged, 512, 4)) {
            var answer = server.post("/v1/chat/completions",
                    "{\"model\":\"default\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}");
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        }
        long t4 = System.nanoTime();
        System.out.printf("twin %s: train %.0f s, update %.0f s, serve %.0f s, merge %.0f s%n", twin.catalogId(),
                (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (t4 - t3) / 1e9);
    }

    void chat(String topic, int count) {
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            Conversation c = db.conversations().create(Users.OWNER_ID, topic);
            for (int i = 0; i < count; i++) {
                String a = UpdateCommandTest.WORDS[i % UpdateCommandTest.WORDS.length];
                String b = UpdateCommandTest.WORDS[(i * 7 + 3) % UpdateCommandTest.WORDS.length];
                db.messages().append(c.id(), Role.USER, "What do " + a + " and " + b + " have to do with " + topic + "?", MessageStatus.COMPLETE);
                db.messages().append(c.id(), Role.ASSISTANT, "In " + topic + ", a " + a + " meets a " + b + ".", MessageStatus.COMPLETE);
            }
        }
    }

    ProcessBuilder cli(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), LifelongCli.class.getName()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--data", dir.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true);
    }

    static String jsonPart(String out) {
        return out.substring(out.indexOf('{'));
    }
}
