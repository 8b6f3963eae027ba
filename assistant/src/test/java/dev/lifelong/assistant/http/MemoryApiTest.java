package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The memory API over real sockets, on a real SQLite file and the real ONNX embedding model. */
class MemoryApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path data;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(data, TestModels.tiny(), 1024, 8);
        // the random-weight model would extract random memories in the background; these tests list memories exactly
        server.patch("/api/settings", "{\"memoryExtraction\":false}");
    }

    @AfterAll
    static void stop() { if (server != null) server.close(); }

    static JsonNode json(HttpResponse<String> r) throws Exception { return JSON.readTree(r.body()); }

    static String q(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }

    static long add(String body) throws Exception {
        HttpResponse<String> r = server.post("/api/memories", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json(r).get("id").asLong();
    }

    @Test
    void createSearchEditPinDeleteAndForget() throws Exception {
        long dog = add("{\"text\":\"The user has a dog called Rex.\"}");
        long city = add("{\"text\":\"用户住在杭州。\",\"kind\":\"fact\"}");
        long tea = add("{\"text\":\"The user likes green tea.\",\"kind\":\"preference\"}");

        JsonNode found = json(server.get("/api/memories/search?q=" + q("What pet do I have?") + "&k=1"));
        assertThat(found).hasSize(1);
        assertThat(found.get(0).at("/memory/id").asLong()).isEqualTo(dog);
        assertThat(json(server.get("/api/memories/search?q=" + q("我住在哪个城市？") + "&k=1")).get(0).at("/memory/id").asLong())
                .isEqualTo(city);

        HttpResponse<String> edited = server.patch("/api/memories/" + tea, "{\"text\":\"The user likes oolong tea.\",\"pinned\":true}");
        assertThat(edited.statusCode()).as(edited.body()).isEqualTo(200);
        assertThat(json(edited).get("text").asText()).isEqualTo("The user likes oolong tea.");
        assertThat(json(edited).get("pinned").asBoolean()).isTrue();
        assertThat(json(edited).get("kind").asText()).isEqualTo("preference");
        JsonNode withPinned = json(server.get("/api/memories/search?q=" + q("What pet do I have?") + "&k=1"));
        assertThat(withPinned.get(0).get("pinned").asBoolean()).isTrue();
        assertThat(withPinned.get(0).at("/memory/id").asLong()).isEqualTo(tea);

        assertThat(server.delete("/api/memories/" + dog).statusCode()).isEqualTo(204);
        assertThat(server.get("/api/memories/" + dog).statusCode()).isEqualTo(404);
        assertThat(server.delete("/api/memories/" + dog).statusCode()).isEqualTo(404);
        assertThat(json(server.get("/api/memories/search?q=" + q("dog Rex") + "&k=5")).findValuesAsText("text"))
                .doesNotContain("The user has a dog called Rex.");

        assertThat(server.post("/api/memories/" + city + "/forget", "").statusCode()).isEqualTo(204);
        assertThat(json(server.get("/api/memories")).findValuesAsText("text"))
                .contains("The user likes oolong tea.")
                .doesNotContain("用户住在杭州。", "", "The user has a dog called Rex.");
    }

    @Test
    void answersUseRecalledMemoriesAndSayWhichOnes() throws Exception {
        long violin = add("{\"text\":\"The user plays the violin in an orchestra.\"}");
        long id = json(server.post("/api/conversations", "{}")).get("id").asLong();
        java.util.List<TestServer.Event> events = server.stream("/api/conversations/" + id + "/messages",
                "{\"content\":\"Which instrument do I play?\"}", null);
        java.util.List<String> names = events.stream().map(TestServer.Event::name).toList();
        assertThat(names).containsSubsequence("start", "memories", "done");
        TestServer.Event memories = events.get(names.indexOf("memories"));
        JsonNode used = JSON.readTree(memories.data());
        assertThat(used.findValues("id").stream().map(JsonNode::asLong).toList()).contains(violin);
        long answerId = JSON.readTree(events.get(names.indexOf("start")).data()).get("messageId").asLong();
        JsonNode stored = json(server.get("/api/messages/" + answerId + "/memories"));
        assertThat(stored.findValues("id").stream().map(JsonNode::asLong).toList()).contains(violin);
        assertThat(server.delete("/api/memories/" + violin).statusCode()).isEqualTo(204);
        assertThat(json(server.get("/api/messages/" + answerId + "/memories")).findValues("id").stream()
                .map(JsonNode::asLong).toList()).as("a deleted memory is no longer shown").doesNotContain(violin);
    }

    @Test
    void aCorrectedAnswerBecomesACorrectionMemoryAWeightedExampleAndGuidesTheNextAnswer() throws Exception {
        {
            long conv = json(server.post("/api/conversations", "{}")).get("id").asLong();
            java.util.List<TestServer.Event> first = server.stream("/api/conversations/" + conv + "/messages",
                    "{\"content\":\"What is my sister called?\"}", null);
            long answer = JSON.readTree(first.get(first.stream().map(TestServer.Event::name).toList().indexOf("start")).data())
                    .get("messageId").asLong();
            HttpResponse<String> corrected = server.post("/api/messages/" + answer + "/correction",
                    "{\"correction\":\"Your sister is called Mia, not Lea.\"}");
            assertThat(corrected.statusCode()).as(corrected.body()).isEqualTo(201);
            JsonNode memory = json(corrected).get("memory");
            assertThat(memory.get("kind").asText()).isEqualTo("correction");
            assertThat(memory.get("text").asText()).isEqualTo("Your sister is called Mia, not Lea.");

            var examples = new dev.lifelong.memory.FeedbackStore(server.assistant.database()).examples(dev.lifelong.memory.Users.OWNER_ID);
            assertThat(examples).hasSize(1);
            assertThat(examples.get(0).weight()).isEqualTo(dev.lifelong.memory.FeedbackStore.CORRECTION_WEIGHT);
            JsonNode turns = JSON.readTree(examples.get(0).messagesJson());
            assertThat(turns.get(0).get("content").asText()).isEqualTo("What is my sister called?");
            assertThat(turns.get(turns.size() - 1).get("role").asText()).isEqualTo("assistant");
            assertThat(turns.get(turns.size() - 1).get("content").asText()).isEqualTo("Your sister is called Mia, not Lea.");

            // the very next answer in the conversation has the correction first in its prompt
            java.util.List<TestServer.Event> next = server.stream("/api/conversations/" + conv + "/messages",
                    "{\"content\":\"Tell me about the weather.\"}", null);
            JsonNode used = JSON.readTree(next.get(next.stream().map(TestServer.Event::name).toList().indexOf("memories")).data());
            assertThat(used.get(0).get("id").asLong()).isEqualTo(memory.get("id").asLong());

            assertThat(server.post("/api/messages/" + answer + "/correction", "{\"correction\":\"  \"}").statusCode()).isEqualTo(400);
            assertThat(server.post("/api/messages/" + answer + "/correction", "{}").statusCode()).isEqualTo(400);
            assertThat(server.post("/api/messages/999999/correction", "{\"correction\":\"x\"}").statusCode()).isEqualTo(404);
            long question = json(server.get("/api/conversations/" + conv + "/messages")).get(0).get("id").asLong();
            assertThat(server.post("/api/messages/" + question + "/correction", "{\"correction\":\"x\"}").statusCode())
                    .as("only answers can be corrected").isEqualTo(400);
            assertThat(new dev.lifelong.memory.FeedbackStore(server.assistant.database()).examples(dev.lifelong.memory.Users.OWNER_ID))
                    .as("refused corrections store nothing").hasSize(1);
        }
    }

    @Test
    void chatsThroughTheOpenAiApiUseAndFeedTheMemoryUnlessSwitchedOff() throws Exception {
        add("{\"text\":\"The user keeps bees on the roof of the house.\"}");
        String body = "{\"model\":\"default\",\"max_tokens\":4,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about my bees\"}]}";
        HttpResponse<String> with = server.post("/v1/chat/completions", body);
        HttpResponse<String> without = server.post("/v1/chat/completions", body, "X-Lifelong-Memory", "off");
        assertThat(with.statusCode()).as(with.body()).isEqualTo(200);
        assertThat(without.statusCode()).isEqualTo(200);
        int promptWith = json(with).at("/usage/prompt_tokens").asInt();
        int promptWithout = json(without).at("/usage/prompt_tokens").asInt();
        assertThat(promptWith).as("the memory went into the prompt").isGreaterThan(promptWithout);

        JsonNode conversations = json(server.get("/api/conversations"));
        JsonNode api = null;
        for (JsonNode c : conversations) if (c.get("title").asText().equals("Chats through the API")) api = c;
        assertThat(api).as("API chats are stored like UI chats").isNotNull();
        JsonNode stored = json(server.get("/api/conversations/" + api.get("id").asLong() + "/messages"));
        assertThat(stored).hasSize(2).as("the opted-out request is not stored");
        assertThat(stored.get(0).get("content").asText()).isEqualTo("Tell me about my bees");
        assertThat(json(server.get("/api/search?q=bees")).findValuesAsText("conversationTitle")).contains("Chats through the API");

        assertThat(server.post("/v1/chat/completions", body, "X-Lifelong-Memory", "maybe").statusCode()).isEqualTo(400);
        server.patch("/api/settings", "{\"apiMemory\":false}");
        try {
            HttpResponse<String> off = server.post("/v1/chat/completions", body);
            assertThat(json(off).at("/usage/prompt_tokens").asInt()).isEqualTo(promptWithout);
            assertThat(json(server.get("/api/conversations/" + api.get("id").asLong() + "/messages"))).hasSize(2);
        } finally {
            server.patch("/api/settings", "{\"apiMemory\":true}");
        }
    }

    @Test
    void memoryExtractionCanBeSwitchedOffPerUser() throws Exception {
        assertThat(json(server.patch("/api/settings", "{\"memoryExtraction\":true}")).get("memoryExtraction").asBoolean()).isTrue();
        assertThat(json(server.get("/api/settings")).get("memoryExtraction").asBoolean()).isTrue();
        HttpResponse<String> off = server.patch("/api/settings", "{\"memoryExtraction\":false}");
        assertThat(off.statusCode()).isEqualTo(200);
        assertThat(json(off).get("memoryExtraction").asBoolean()).isFalse();
        assertThat(json(server.get("/api/settings")).get("memoryExtraction").asBoolean()).isFalse();
        assertThat(server.patch("/api/settings", "{\"memoryExtraction\":\"no\"}").statusCode()).isEqualTo(400);
        assertThat(server.patch("/api/settings", "{\"theme\":\"dark\"}").statusCode()).isEqualTo(400);
        assertThat(server.patch("/api/settings", "{}").statusCode()).isEqualTo(400);
        assertThat(json(server.patch("/api/settings", "{\"memoryExtraction\":true}")).get("memoryExtraction").asBoolean()).isTrue();
        server.patch("/api/settings", "{\"memoryExtraction\":false}");
    }

    @Test
    void pastConversationsAreSearchable() throws Exception {
        long id = json(server.post("/api/conversations", "{}")).get("id").asLong();
        server.stream("/api/conversations/" + id + "/messages", "{\"content\":\"Remind me about the marmalade recipe\"}", null);
        JsonNode hits = json(server.get("/api/search?q=" + q("marmalade")));
        assertThat(hits).isNotEmpty();
        assertThat(hits.get(0).at("/message/content").asText()).isEqualTo("Remind me about the marmalade recipe");
        assertThat(hits.get(0).at("/message/conversationId").asLong()).isEqualTo(id);
    }

    @Test
    void badInputGetsAClearErrorAndStoresNothing() throws Exception {
        int before = json(server.get("/api/memories")).size();
        record Case(String method, String path, String body, int status, String code) { }
        for (Case c : new Case[] {
                new Case("POST", "/api/memories", "{}", 400, "missing_field"),
                new Case("POST", "/api/memories", "{\"text\":\"   \"}", 400, "invalid_value"),
                new Case("POST", "/api/memories", "{\"text\":42}", 400, "invalid_type"),
                new Case("POST", "/api/memories", "{\"text\":\"x\",\"kind\":\"opinion\"}", 400, "invalid_value"),
                new Case("POST", "/api/memories", "{\"text\":\"x\",\"colour\":\"red\"}", 400, "unknown_field"),
                new Case("POST", "/api/memories", "{\"text\":\"" + "x".repeat(2001) + "\"}", 400, "invalid_value"),
                new Case("POST", "/api/memories", "not json", 400, null),
                new Case("PATCH", "/api/memories/999999", "{\"text\":\"y\"}", 404, "memory_not_found"),
                new Case("PATCH", "/api/memories/abc", "{\"text\":\"y\"}", 400, "invalid_id"),
                new Case("GET", "/api/memories/search", null, 400, "missing_parameter"),
                new Case("GET", "/api/memories/search?q=x&k=0", null, 400, "invalid_value"),
                new Case("GET", "/api/memories/search?q=x&k=many", null, 400, "invalid_value"),
                new Case("GET", "/api/memories?limit=-1", null, 400, "invalid_value"),
                new Case("GET", "/api/search?q=", null, 400, "missing_parameter"),
                new Case("POST", "/api/memories/0/forget", "", 400, "invalid_id")}) {
            HttpResponse<String> r = switch (c.method) {
                case "POST" -> server.post(c.path, c.body);
                case "PATCH" -> server.patch(c.path, c.body);
                default -> server.get(c.path);
            };
            assertThat(r.statusCode()).as(c.method + " " + c.path + " " + c.body + " -> " + r.body()).isEqualTo(c.status);
            assertThat(json(r).at("/error/message").asText()).as(c.path).isNotBlank();
            if (c.code != null) assertThat(json(r).at("/error/code").asText()).as(c.path + " " + c.body).isEqualTo(c.code);
        }
        long m = add("{\"text\":\"The user plays the oboe.\"}");
        HttpResponse<String> bad = server.patch("/api/memories/" + m, "{\"text\":\"The user plays the flute.\",\"kind\":\"nonsense\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(server.get("/api/memories/" + m)).get("text").asText()).as("a bad field changes nothing")
                .isEqualTo("The user plays the oboe.");
        assertThat(json(server.get("/api/memories")).size()).isEqualTo(before + 1);
    }
}
