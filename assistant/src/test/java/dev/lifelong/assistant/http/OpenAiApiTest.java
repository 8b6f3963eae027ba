package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static dev.lifelong.assistant.http.ChatApiTest.assertError;
import static dev.lifelong.assistant.http.ChatApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/** The OpenAI-compatible API as an OpenAI client sees it. */
class OpenAiApiTest {
    @TempDir static Path data;
    static TestServer server;

    @BeforeAll
    static void start() { server = TestServer.start(data, TestModels.tiny(), 1024, 32); }

    @AfterAll
    static void stop() { if (server != null) server.close(); }

    static final String HELLO = "{\"model\":\"default\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
            + "{\"role\":\"user\",\"content\":\"Hello!\"}],\"max_tokens\":12,\"temperature\":0,\"seed\":1";

    @Test
    void modelsListsDefaultAndTheLoadedModel() throws Exception {
        JsonNode models = json(server.get("/v1/models").body());
        assertThat(models.get("object").asText()).isEqualTo("list");
        assertThat(models.get("data").findValuesAsText("id")).containsExactly("default", "tiny");
    }

    @Test
    void nonStreamingCompletionHasUsageAndIsDeterministicWhenGreedy() throws Exception {
        HttpResponse<String> r = server.post("/v1/chat/completions", HELLO + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = json(r.body());
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("id").asText()).startsWith("chatcmpl-");
        JsonNode choice = body.get("choices").get(0);
        assertThat(choice.at("/message/role").asText()).isEqualTo("assistant");
        assertThat(choice.get("finish_reason").asText()).isIn("stop", "length");
        JsonNode usage = body.get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isGreaterThan(5);
        assertThat(usage.get("completion_tokens").asInt()).isBetween(1, 12);
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt());
        if (usage.get("completion_tokens").asInt() == 12) assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        // the same request by the loaded model's own id gives the same greedy answer
        JsonNode again = json(server.post("/v1/chat/completions", HELLO.replace("\"default\"", "\"tiny\"") + "}").body());
        assertThat(again.at("/choices/0/message/content").asText()).isEqualTo(choice.at("/message/content").asText());
    }

    @Test
    void streamingSendsChunksThenUsageThenDone() throws Exception {
        List<TestServer.Event> events = server.stream("/v1/chat/completions",
                HELLO + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}", null);
        assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
        JsonNode first = json(events.get(0).data());
        assertThat(first.get("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(first.at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (TestServer.Event e : events.subList(0, events.size() - 1)) {
            JsonNode c = json(e.data());
            if (c.has("usage")) usage = c.get("usage");
            if (c.get("choices").isEmpty()) continue;
            text.append(c.at("/choices/0/delta/content").asText(""));
            if (!c.at("/choices/0/finish_reason").isNull()) finish = c.at("/choices/0/finish_reason").asText();
        }
        assertThat(finish).isIn("stop", "length");
        assertThat(usage).isNotNull();
        assertThat(usage.get("completion_tokens").asInt()).isPositive();
        String nonStreamed = json(server.post("/v1/chat/completions", HELLO + "}").body()).at("/choices/0/message/content").asText();
        assertThat(text.toString()).isEqualTo(nonStreamed);
    }

    @Test
    void badRequestsGetOpenAiStyleErrors() throws Exception {
        assertError(server.post("/v1/chat/completions", "{"), 400, "malformed JSON");
        assertError(server.post("/v1/chat/completions", "{\"model\":\"default\"}"), 400, "'messages' is required");
        assertError(server.post("/v1/chat/completions", "{\"messages\":[]}"), 400, "non-empty");
        assertError(server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}"), 400, "role");
        assertError(server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\"}]}"), 400, "content is required");
        assertError(server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":7}"), 400, "temperature");
        assertError(server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}"), 400, "n=1");
        assertError(server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}"), 400, "max_tokens");
        assertError(server.post("/v1/chat/completions", "{\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 404, "gpt-9");
        String huge = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "word ".repeat(3000) + "\"}]}";
        assertError(server.post("/v1/chat/completions", huge), 400, "context");
        HttpResponse<String> r = server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}],\"max_tokens\":2}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
}
