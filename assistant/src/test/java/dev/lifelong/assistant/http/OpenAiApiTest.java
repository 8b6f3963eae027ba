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

    static final String ASK = "{\"model\":\"default\",\"messages\":[{\"role\":\"user\",\"content\":\"Answer in JSON.\"}]";

    @Test
    void jsonObjectResponseFormatMakesTheAnswerJson() throws Exception {
        for (int seed = 1; seed <= 3; seed++) {
            HttpResponse<String> r = server.post("/v1/chat/completions", ASK + ",\"max_tokens\":300,\"temperature\":0.8,\"seed\":" + seed
                    + ",\"response_format\":{\"type\":\"json_object\"}}", "X-Lifelong-Memory", "off");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode choice = json(r.body()).at("/choices/0");
            String text = choice.at("/message/content").asText();
            assertThat(text).startsWith("{");
            // a random model may run out of tokens inside the object; what it wrote must still be JSON so far
            if (choice.get("finish_reason").asText().equals("stop")) assertThat(json(text).isObject()).as(text).isTrue();
            else assertThat(isJsonPrefix(text)).as(text).isTrue();
        }
    }

    @Test
    void jsonSchemaResponseFormatGivesOnlyWhatTheSchemaAllows() throws Exception {
        for (int seed = 1; seed <= 3; seed++) {
            HttpResponse<String> r = server.post("/v1/chat/completions", ASK + ",\"max_tokens\":40,\"temperature\":1,\"seed\":" + seed
                    + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"colour\",\"strict\":true,"
                    + "\"schema\":{\"type\":\"string\",\"enum\":[\"red\",\"green\",\"blue\"]}}}}", "X-Lifelong-Memory", "off");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode choice = json(r.body()).at("/choices/0");
            assertThat(choice.at("/message/content").asText()).isIn("\"red\"", "\"green\"", "\"blue\"");
            assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
        }
        // an object with a required enum and boolean, nothing else: short enough that even a random model finishes it
        String schema = "{\"type\":\"object\",\"properties\":{\"colour\":{\"enum\":[\"red\",\"blue\"]},\"sure\":{\"type\":\"boolean\"},"
                + "\"note\":{\"type\":\"null\"}},\"required\":[\"colour\",\"sure\"],\"additionalProperties\":false}";
        HttpResponse<String> r = server.post("/v1/chat/completions", ASK + ",\"max_tokens\":400,\"temperature\":0.8,\"seed\":5"
                + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"c\",\"schema\":" + schema + "}}}", "X-Lifelong-Memory", "off");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode answer = json(json(r.body()).at("/choices/0/message/content").asText());
        assertThat(answer.get("colour").asText()).isIn("red", "blue");
        assertThat(answer.get("sure").isBoolean()).isTrue();
        List<String> keys = new java.util.ArrayList<>();
        answer.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).isSubsetOf("colour", "sure", "note");
    }

    @Test
    void unsupportedSchemasFormatsAndToolsAreRefusedByName() throws Exception {
        String unsupported = ASK + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":"
                + "{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\",\"pattern\":\"^[A-Z]+$\"}}}}}}";
        HttpResponse<String> r = server.post("/v1/chat/completions", unsupported);
        assertError(r, 400, "unsupported JSON schema keyword 'pattern' at schema.properties.code");
        assertThat(json(r.body()).at("/error/param").asText()).isEqualTo("response_format.json_schema.schema");
        assertParam(server.post("/v1/chat/completions", ASK + ",\"response_format\":{\"type\":\"json_schema\"}}"), "schema is required",
                "response_format.json_schema.schema");
        assertParam(server.post("/v1/chat/completions", ASK + ",\"response_format\":{\"type\":\"yaml\"}}"), "json_object", "response_format.type");

        String tools = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"weather\",\"parameters\":{\"type\":\"object\"}}}]";
        r = server.post("/v1/chat/completions", ASK + tools + "}");
        assertParam(r, "tools are not supported by this server", "tools");
        assertThat(json(r.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertParam(server.post("/v1/chat/completions", ASK + ",\"tool_choice\":\"required\"}"), "tool_choice", "tool_choice");
        // an assistant turn that called a tool, and the tool's result: named, not "content is required"
        String called = "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},{\"role\":\"assistant\",\"content\":null,"
                + "\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"{}\"}}]}";
        assertParam(server.post("/v1/chat/completions", called + "]}"), "tool calls are not supported", "messages[1].tool_calls");
        assertParam(server.post("/v1/chat/completions", called + ",{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"sunny\"}]}"),
                "tool calls are not supported", "messages[1].tool_calls");
        assertParam(server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"sunny\"}]}"), "role 'tool'", "messages[1].role");
        // what clients send by default without tools is fine
        r = server.post("/v1/chat/completions", ASK + ",\"max_tokens\":2,\"tools\":[],\"tool_choice\":\"none\",\"response_format\":{\"type\":\"text\"}}",
                "X-Lifelong-Memory", "off");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private static void assertParam(HttpResponse<String> r, String messagePart, String param) throws Exception {
        assertError(r, 400, messagePart);
        assertThat(json(r.body()).at("/error/param").asText()).isEqualTo(param);
    }

    /** Whether {@code text} is the start of some JSON document (Jackson's non-blocking parser waits for more). */
    static boolean isJsonPrefix(String text) {
        try (var parser = new com.fasterxml.jackson.core.JsonFactory().createNonBlockingByteArrayParser()) {
            byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ((com.fasterxml.jackson.core.async.ByteArrayFeeder) parser.getNonBlockingInputFeeder()).feedInput(bytes, 0, bytes.length);
            while (true) {
                var token = parser.nextToken();
                if (token == com.fasterxml.jackson.core.JsonToken.NOT_AVAILABLE || token == null) return true;
            }
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
