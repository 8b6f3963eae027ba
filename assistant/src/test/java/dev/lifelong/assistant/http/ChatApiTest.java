package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The web UI's API over real sockets, on a real SQLite file and the real llama.cpp runtime. */
class ChatApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path data;
    static TestServer server;

    @BeforeAll
    static void start() { server = TestServer.start(data, TestModels.tiny(), 1024, 24); }

    @AfterAll
    static void stop() { if (server != null) server.close(); }

    static JsonNode json(String s) throws Exception { return JSON.readTree(s); }

    static long newConversation() throws Exception {
        HttpResponse<String> r = server.post("/api/conversations", "{}");
        assertThat(r.statusCode()).isEqualTo(201);
        return json(r.body()).get("id").asLong();
    }

    @Test
    void healthAndStatusReportTheLoadedModel() throws Exception {
        HttpResponse<String> h = server.get("/healthz");
        assertThat(h.statusCode()).isEqualTo(200);
        assertThat(json(h.body()).get("status").asText()).isEqualTo("ok");
        JsonNode s = json(server.get("/api/status").body());
        assertThat(s.at("/model/loaded").asBoolean()).isTrue();
        assertThat(s.at("/model/name").asText()).isEqualTo("tiny");
        assertThat(s.at("/model/demo").asBoolean()).isFalse();
        assertThat(s.get("choices").size()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aPatchWithOneBadFieldChangesNothing() throws Exception {
        long id = json(server.post("/api/conversations", "{\"title\":\"before\"}").body()).get("id").asLong();
        HttpResponse<String> bad = server.patch("/api/conversations/" + id, "{\"title\":\"after\",\"private\":\"yes\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        HttpResponse<String> badTitle = server.patch("/api/conversations/" + id, "{\"private\":true,\"title\":\"   \"}");
        assertThat(badTitle.statusCode()).isEqualTo(400);
        JsonNode unchanged = json(server.get("/api/conversations").body()).findParents("id").stream()
                .filter(c -> c.get("id").asLong() == id).findFirst().orElseThrow();
        assertThat(unchanged.get("title").asText()).isEqualTo("before");
        assertThat(unchanged.get("private").asBoolean()).isFalse();
        JsonNode both = json(server.patch("/api/conversations/" + id, "{\"title\":\"after\",\"private\":true}").body());
        assertThat(both.get("title").asText()).isEqualTo("after");
        assertThat(both.get("private").asBoolean()).isTrue();
    }

    @Test
    void conversationCrud() throws Exception {
        long id = newConversation();
        HttpResponse<String> renamed = server.patch("/api/conversations/" + id, "{\"title\":\"  Trip   to Berlin 🚆 \"}");
        assertThat(renamed.statusCode()).isEqualTo(200);
        assertThat(json(renamed.body()).get("title").asText()).isEqualTo("Trip to Berlin 🚆");
        JsonNode list = json(server.get("/api/conversations").body());
        assertThat(list.findValuesAsText("title")).contains("Trip to Berlin 🚆");
        assertThat(server.delete("/api/conversations/" + id).statusCode()).isEqualTo(204);
        assertThat(server.get("/api/conversations/" + id + "/messages").statusCode()).isEqualTo(404);
        assertThat(server.delete("/api/conversations/" + id).statusCode()).isEqualTo(404);
    }

    @Test
    void sendStreamsTokensAndStoresBothMessages() throws Exception {
        long id = newConversation();
        List<TestServer.Event> events = server.stream("/api/conversations/" + id + "/messages",
                "{\"content\":\"Hello there, 世界 🌱\"}", null);
        List<String> names = events.stream().map(TestServer.Event::name).toList();
        assertThat(names.get(0)).isEqualTo("user");
        assertThat(names.get(1)).isEqualTo("start");
        assertThat(names.get(names.size() - 1)).isEqualTo("done");
        assertThat(names).contains("token");
        StringBuilder streamed = new StringBuilder();
        for (TestServer.Event e : events) if ("token".equals(e.name())) streamed.append(json(e.data()).get("text").asText());
        JsonNode done = json(events.get(events.size() - 1).data());
        assertThat(done.get("content").asText()).isEqualTo(streamed.toString()).isNotEmpty();
        assertThat(done.get("status").asText()).isEqualTo("complete");

        JsonNode messages = json(server.get("/api/conversations/" + id + "/messages").body());
        assertThat(messages).hasSize(2);
        assertThat(messages.get(0).get("content").asText()).isEqualTo("Hello there, 世界 🌱");
        assertThat(messages.get(0).get("role").asText()).isEqualTo("user");
        assertThat(messages.get(1).get("content").asText()).isEqualTo(streamed.toString());
        // the first message names the conversation
        JsonNode conv = json(server.get("/api/conversations").body());
        assertThat(conv.findValuesAsText("title")).contains("Hello there, 世界 🌱");
    }

    @Test
    void regenerateReplacesTheLastAnswerAndEditReplacesTheLastQuestion() throws Exception {
        long id = newConversation();
        server.stream("/api/conversations/" + id + "/messages", "{\"content\":\"first\"}", null);
        List<TestServer.Event> regen = server.stream("/api/conversations/" + id + "/regenerate", "", null);
        assertThat(regen.get(0).name()).isEqualTo("start");
        assertThat(regen.get(regen.size() - 1).name()).isEqualTo("done");
        JsonNode messages = json(server.get("/api/conversations/" + id + "/messages").body());
        assertThat(messages).hasSize(2);
        assertThat(messages.get(1).get("id").asLong()).isEqualTo(json(regen.get(0).data()).get("messageId").asLong());

        List<TestServer.Event> edit = server.stream("/api/conversations/" + id + "/edit", "{\"content\":\"second\"}", null);
        assertThat(edit.get(0).name()).isEqualTo("user");
        messages = json(server.get("/api/conversations/" + id + "/messages").body());
        assertThat(messages).hasSize(2);
        assertThat(messages.get(0).get("content").asText()).isEqualTo("second");
    }

    @Test
    void badInputGetsClearJsonErrors() throws Exception {
        long id = newConversation();
        assertError(server.post("/api/conversations/" + id + "/messages", "{\"content\":"), 400, "malformed JSON");
        assertError(server.post("/api/conversations/" + id + "/messages", "[1,2]"), 400, "JSON object");
        assertError(server.post("/api/conversations/" + id + "/messages", "{\"content\":\"   \"}"), 400, "must not be empty");
        assertError(server.post("/api/conversations/" + id + "/messages", "{\"content\":42}"), 400, "must be a string");
        assertError(server.post("/api/conversations/" + id + "/messages", "{}"), 400, "'content' is required");
        assertError(server.post("/api/conversations/999999/messages", "{\"content\":\"hi\"}"), 404, "not found");
        assertError(server.get("/api/conversations/abc/messages"), 400, "positive number");
        assertError(server.patch("/api/conversations/" + id, "{\"title\":\"\"}"), 400, "title");
        assertError(server.get("/api/nope"), 404, "not found");
        assertError(server.post("/api/conversations/" + id + "/regenerate", ""), 400, "no message");
        String big = "{\"content\":\"" + "x".repeat((1 << 20) + 10) + "\"}";
        assertError(server.post("/api/conversations/" + id + "/messages", big), 413, "larger than");
        assertError(server.post("/api/model", "{\"path\":\"relative/model.gguf\"}"), 400, "absolute path");
        // nothing was stored by any of these
        assertThat(json(server.get("/api/conversations/" + id + "/messages").body())).isEmpty();
    }

    static void assertError(HttpResponse<String> r, int status, String messagePart) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        JsonNode e = json(r.body()).get("error");
        assertThat(e.get("message").asText()).contains(messagePart);
        assertThat(e.get("type").asText()).isNotBlank();
    }
}
