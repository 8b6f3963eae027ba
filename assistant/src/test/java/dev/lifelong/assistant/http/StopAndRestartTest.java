package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.lifelong.assistant.http.ChatApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/** Stop, client disconnects, one answer at a time per conversation, parallel conversations, and restarts. */
class StopAndRestartTest {
    @TempDir Path data;

    @Test
    void stopKeepsThePartialAnswerAndItSurvivesARestart() throws Exception {
        long id;
        String partial;
        try (TestServer server = TestServer.start(data, TestModels.slow(), 4096, 3000)) {
            id = json(server.post("/api/conversations", "{}").body()).get("id").asLong();
            java.util.concurrent.CountDownLatch firstToken = new java.util.concurrent.CountDownLatch(1);
            CompletableFuture<List<TestServer.Event>> answer = CompletableFuture.supplyAsync(() ->
                    server.stream("/api/conversations/" + id + "/messages", "{\"content\":\"tell me a long story\"}", e -> {
                        if ("token".equals(e.name())) firstToken.countDown();
                        return false;
                    }));
            TestServer.eventually(Duration.ofSeconds(60), () -> assistantStatus(server, id).equals("generating"));
            // a second answer in the same conversation must wait for the first
            HttpResponse<String> busy = server.post("/api/conversations/" + id + "/messages", "{\"content\":\"again\"}");
            assertThat(busy.statusCode()).isEqualTo(409);

            // the first answer of a server also loads the embedding model (about a second on 2 cores)
            assertThat(firstToken.await(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            Thread.sleep(100);
            assertThat(json(server.post("/api/conversations/" + id + "/stop", "").body()).get("stopped").asBoolean()).isTrue();
            List<TestServer.Event> events = answer.get(60, java.util.concurrent.TimeUnit.SECONDS);
            TestServer.Event last = events.get(events.size() - 1);
            assertThat(last.name()).isEqualTo("done");
            JsonNode done = json(last.data());
            assertThat(done.get("status").asText()).isEqualTo("partial");
            long tokens = events.stream().filter(e -> "token".equals(e.name())).count();
            assertThat(tokens).isGreaterThan(0).isLessThan(3000);
            partial = done.get("content").asText();
            assertThat(partial).isNotEmpty();
        }
        try (TestServer again = TestServer.start(data, TestModels.slow(), 4096, 3000)) {
            JsonNode messages = json(again.get("/api/conversations/" + id + "/messages").body());
            assertThat(messages).hasSize(2);
            assertThat(messages.get(0).get("content").asText()).isEqualTo("tell me a long story");
            assertThat(messages.get(1).get("status").asText()).isEqualTo("partial");
            assertThat(messages.get(1).get("content").asText()).isEqualTo(partial);
        }
    }

    @Test
    void aClientThatDisconnectsStopsItsAnswerAndTwoConversationsProgressAtOnce() throws Exception {
        try (TestServer server = TestServer.start(data, TestModels.slow(), 4096, 3000)) {
            long a = json(server.post("/api/conversations", "{}").body()).get("id").asLong();
            long b = json(server.post("/api/conversations", "{}").body()).get("id").asLong();
            CompletableFuture<List<TestServer.Event>> first = CompletableFuture.supplyAsync(() ->
                    server.stream("/api/conversations/" + a + "/messages", "{\"content\":\"one\"}", e -> "token".equals(e.name())));
            CompletableFuture<List<TestServer.Event>> second = CompletableFuture.supplyAsync(() ->
                    server.stream("/api/conversations/" + b + "/messages", "{\"content\":\"two\"}", null));
            // the first client reads one token and hangs up
            first.get(60, java.util.concurrent.TimeUnit.SECONDS);
            TestServer.eventually(Duration.ofSeconds(60), () -> assistantStatus(server, a).equals("partial"));
            // meanwhile the other conversation was answering too
            assertThat(assistantStatus(server, b)).isIn("generating", "complete");
            server.post("/api/conversations/" + b + "/stop", "");
            second.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(assistantStatus(server, b)).isIn("partial", "complete");
        }
    }

    static String assistantStatus(TestServer server, long id) throws Exception {
        JsonNode messages = json(server.get("/api/conversations/" + id + "/messages").body());
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).get("role").asText().equals("assistant")) return messages.get(i).get("status").asText();
        }
        return "none";
    }
}
