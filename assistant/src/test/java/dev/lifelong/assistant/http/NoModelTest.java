package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.lifelong.assistant.http.ChatApiTest.assertError;
import static dev.lifelong.assistant.http.ChatApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/** With no model the server still starts, says why, offers choices, and loads a model chosen later. */
class NoModelTest {
    @TempDir Path data;

    @Test
    void startsWithoutAModelAndLoadsOneChosenLater() throws Exception {
        try (TestServer server = TestServer.start(data, null, 1024, 16)) {
            assertThat(server.get("/healthz").statusCode()).isEqualTo(503);
            JsonNode status = json(server.get("/api/status").body());
            assertThat(status.at("/model/loaded").asBoolean()).isFalse();
            assertThat(status.at("/model/error").asText()).contains("no model");
            assertThat(status.get("choices").findValuesAsText("id")).contains("qwen2.5-0.5b-instruct-q4_k_m");
            assertThat(server.get("/").body()).contains("<html");

            long id = json(server.post("/api/conversations", "{}").body()).get("id").asLong();
            assertError(server.post("/api/conversations/" + id + "/messages", "{\"content\":\"hi\"}"), 503, "no model");
            assertThat(json(server.get("/api/conversations/" + id + "/messages").body())).isEmpty();
            assertError(server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 503, "no model");

            // wrong files are refused with a reason, before native code sees them
            Path missing = data.resolve("missing.gguf");
            assertError(server.post("/api/model", "{\"path\":\"" + missing + "\"}"), 400, "not found");
            Path zip = Files.write(data.resolve("notes.gguf"), new byte[]{'P', 'K', 3, 4, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6});
            assertError(server.post("/api/model", "{\"path\":\"" + zip + "\"}"), 400, "GGUF");
            byte[] model = Files.readAllBytes(TestModels.tiny());
            Path truncated = Files.write(data.resolve("truncated.gguf"), java.util.Arrays.copyOf(model, model.length / 2));
            assertError(server.post("/api/model", "{\"path\":\"" + truncated + "\"}"), 400, "truncated");
            assertThat(json(server.get("/api/status").body()).at("/model/loaded").asBoolean()).isFalse();

            var loaded = server.post("/api/model", "{\"path\":\"" + TestModels.tiny() + "\"}");
            assertThat(loaded.statusCode()).as(loaded.body()).isEqualTo(200);
            assertThat(json(loaded.body()).at("/model/loaded").asBoolean()).isTrue();
            assertThat(server.get("/healthz").statusCode()).isEqualTo(200);
            var events = server.stream("/api/conversations/" + id + "/messages", "{\"content\":\"hi\"}", null);
            assertThat(events.get(events.size() - 1).name()).isEqualTo("done");
        }
    }

    @Test
    void onlyRegularFilesAreOpenedNothingOfTheirBytesIsEchoedAndPathsAreTheOwnersToSee() throws Exception {
        Path broken = Files.write(data.resolve("broken.gguf"), "GGUF but not really".getBytes());
        try (TestServer server = TestServer.start(data, broken, 1024, 16)) {
            TestServer member = server.newUser("member");
            // a FIFO would block the load (and every load after it) for ever
            Path fifo = data.resolve("model.fifo");
            Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
            assertThat(mkfifo.waitFor()).isZero();
            assertError(server.post("/api/model", "{\"path\":\"" + fifo + "\"}"), 400, "not a regular file");
            // a secret file: the refusal says what the file is not, never what it holds
            Path secret = Files.writeString(data.resolve("shadow"), "root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\n");
            var refused = server.post("/api/model", "{\"path\":\"" + secret + "\"}");
            assertError(refused, 400, "not a GGUF model file");
            assertThat(refused.body()).doesNotContain("root").doesNotContain("$6$");
            // the model's file and the load error (which names files) are the owner's to see, not a member's
            String owners = server.get("/api/status").body();
            assertThat(owners).contains(secret.toString());
            String members = member.get("/api/status").body();
            assertThat(members).doesNotContain(data.toString()).doesNotContain("shadow");
            assertThat(json(members).at("/model/error").asText()).contains("no model is loaded");
            var health = server.as(null).get("/healthz");
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(health.body()).doesNotContain(data.toString()).doesNotContain("broken");
            // nothing was left blocked: a good model still loads, and then members see its name but not its path
            assertThat(server.post("/api/model", "{\"path\":\"" + TestModels.tiny() + "\"}").statusCode()).isEqualTo(200);
            JsonNode status = json(member.get("/api/status").body());
            assertThat(status.at("/model/name").asText()).isEqualTo("tiny");
            assertThat(status.at("/model/path").isNull()).isTrue();
            assertThat(json(server.get("/api/status").body()).at("/model/path").asText()).isEqualTo(TestModels.tiny().toString());
        }
    }

    @Test
    void aBrokenConfiguredModelIsReportedNotFatal() throws Exception {
        Path broken = Files.write(data.resolve("broken.gguf"), "GGUF but not really".getBytes());
        try (TestServer server = TestServer.start(data, broken, 1024, 16)) {
            assertThat(server.get("/healthz").statusCode()).isEqualTo(503);
            assertThat(json(server.get("/api/status").body()).at("/model/error").asText()).contains("broken.gguf");
        }
    }

    @Test
    void aSeedlingThatDoesNotMatchItsManifestIsNotServed() throws Exception {
        Path seedling = Files.copy(TestModels.tiny(), data.resolve("seedling.gguf"));
        Files.writeString(data.resolve("manifest.json"), "{\"sha256\":\"" + "0".repeat(64) + "\"}");
        try (TestServer server = TestServer.start(data, null, 1024, 16, seedling)) {
            JsonNode status = json(server.get("/api/status").body());
            assertThat(status.at("/model/loaded").asBoolean()).isFalse();
            assertThat(status.at("/model/error").asText()).contains("does not match its manifest");
        }
        Files.writeString(data.resolve("manifest.json"), "{\"sha256\":\"" + dev.lifelong.lora.data.DatasetFiles.sha256(seedling) + "\"}");
        try (TestServer server = TestServer.start(data, null, 1024, 16, seedling)) {
            assertThat(json(server.get("/api/status").body()).at("/model/loaded").asBoolean()).isTrue();
        }
    }

    @Test
    void theSeedlingIsUsedWhenNothingElseIsConfiguredAndMarkedAsDemo() throws Exception {
        Path seedling = Files.copy(TestModels.tiny(), data.resolve("seedling.gguf"));
        try (TestServer server = TestServer.start(data, null, 1024, 16, seedling)) {
            JsonNode status = json(server.get("/api/status").body());
            assertThat(status.at("/model/loaded").asBoolean()).isTrue();
            assertThat(status.at("/model/demo").asBoolean()).isTrue();
            assertThat(status.at("/model/name").asText()).isEqualTo("seedling");
        }
    }
}
