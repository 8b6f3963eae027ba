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
