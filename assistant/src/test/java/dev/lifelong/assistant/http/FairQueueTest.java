package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import dev.lifelong.assistant.runtime.GenerationQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One member's many answers must not make another member's short answer wait behind them, one member cannot queue
 * without end, and a prompt that cannot fit is refused before anything is spent on it. Two slots, the slow test model.
 */
class FairQueueTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path data;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(data, TestModels.slow(), 4096, 2000);
    }

    @AfterAll
    static void stop() { server.close(); }

    static String completion(int maxTokens, boolean stream, String content) {
        return "{\"model\":\"default\",\"max_tokens\":" + maxTokens + ",\"stream\":" + stream + ",\"temperature\":0.8,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
    }

    @Test
    void oneMembersManyAnswersDoNotMakeAnothersShortAnswerWait() throws Exception {
        TestServer bob = server.newUser("bob");
        TestServer ada = server.newUser("ada");
        long bobId = JSON.readTree(bob.get("/api/auth/me").body()).at("/user/id").asLong();
        HttpClient http = HttpClient.newHttpClient();
        AtomicInteger bobFinished = new AtomicInteger();
        List<InputStream> bobStreams = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        try {
            for (int i = 0; i < GenerationQueue.PER_USER; i++) {
                HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(bob.uri("/v1/chat/completions"))
                        .header("Authorization", "Bearer " + bob.apiKey).header("Content-Type", "application/json").header("X-Lifelong-Memory", "off")
                        .POST(HttpRequest.BodyPublishers.ofString(completion(2000, true, "a long story, part " + i))).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                assertThat(r.statusCode()).isEqualTo(200);
                bobStreams.add(r.body());
                Thread t = Thread.ofVirtual().start(() -> {
                    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                        for (String line; (line = in.readLine()) != null; ) if (line.equals("data: [DONE]")) bobFinished.incrementAndGet();
                    } catch (Exception closed) {
                        // the test closed the stream
                    }
                });
                readers.add(t);
            }
            TestServer.eventually(Duration.ofSeconds(60), () -> server.assistant.chat().queue().admitted(bobId) == GenerationQueue.PER_USER);
            // one more is refused at once, not queued behind the others
            HttpResponse<String> refused = bob.post("/v1/chat/completions", completion(2000, false, "and another"));
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().firstValue("retry-after")).isPresent();
            assertThat(JSON.readTree(refused.body()).at("/error/code").asText()).isEqualTo("too_many_answers");

            // ada's short answer gets the slot bob may not take, instead of waiting for bob's answers to end
            HttpResponse<String> adas = ada.post("/v1/chat/completions", completion(2, false, "hi"), "X-Lifelong-Memory", "off");
            assertThat(adas.statusCode()).isEqualTo(200);
            int finishedMeanwhile = bobFinished.get();
            assertThat(finishedMeanwhile).as("bob's answers that ended before ada's (she waited for at most one)").isLessThanOrEqualTo(1);
        } finally {
            for (InputStream in : bobStreams) in.close();
            for (Thread t : readers) t.join(30_000);
        }
        // bob's closed streams give their places back (each stops at its next piece)
        TestServer.eventually(Duration.ofSeconds(120), () -> server.assistant.chat().queue().admitted(bobId) == 0);
    }

    @Test
    void aPromptThatCannotFitIsRefusedBeforeItIsTokenized() throws Exception {
        String huge = "word ".repeat(200_000); // 1,000,000 characters, just under the 1 MiB body limit
        HttpResponse<String> r = server.post("/v1/chat/completions", "{\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\""
                + huge + "\"}]}", "X-Lifelong-Memory", "off");
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("context_length_exceeded");
        // counted in characters against the model's longest token: no tokenizer ran
        assertThat(error.get("message").asText()).contains("1000000 characters long");
    }
}
