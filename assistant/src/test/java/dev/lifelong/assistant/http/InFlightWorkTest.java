package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Answers and progress streams that are running belong to the user and the credential that started them: revoking
 * the key or removing the user ends them at once and nothing more of theirs is stored (and a removed user's id is
 * never given to someone else); another user's request changes nothing of them, not even by stopping them.
 */
class InFlightWorkTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path data;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(data, TestModels.slow(), 4096, 2000);
    }

    @AfterAll
    static void stop() { server.close(); }

    static JsonNode json(HttpResponse<String> r) throws Exception { return JSON.readTree(r.body()); }

    /** The lines of a response body as they arrive, read on a virtual thread; {@code firstData} opens after 2 data lines. */
    record Stream(List<String> lines, CountDownLatch firstData, CompletableFuture<Void> ended) {}

    static Stream open(TestServer who, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(who.uri(path)).header("Authorization", "Bearer " + who.apiKey)
                .header("Content-Type", "application/json");
        b = body == null ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<java.io.InputStream> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch first = new CountDownLatch(2);
        CompletableFuture<Void> ended = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                    if (line.startsWith("data: ")) first.countDown();
                }
            } catch (Exception e) {
                lines.add("! " + e);
            }
            ended.complete(null);
        });
        return new Stream(lines, first, ended);
    }

    @Test
    void revokingAKeyStopsWhatItStartedAndNothingOfItIsStored() throws Exception {
        TestServer kim = server.newUser("kim");
        JsonNode plugin = json(kim.post("/api/keys", "{\"name\":\"plugin\"}"));
        TestServer byPlugin = kim.as(plugin.get("secret").asText());
        Stream answer = open(byPlugin, "/v1/chat/completions", "{\"max_tokens\":2000,\"stream\":true,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"my secret plan is to tell a long story\"}]}");
        assertThat(answer.firstData().await(60, TimeUnit.SECONDS)).isTrue();
        int before = answer.lines().size();
        assertThat(kim.delete("/api/keys/" + plugin.get("id").asLong()).statusCode()).isEqualTo(204);
        answer.ended().get(60, TimeUnit.SECONDS);
        List<String> after = new ArrayList<>(answer.lines().subList(before, answer.lines().size()));
        assertThat(String.join("\n", after)).contains("credentials_ended").doesNotContain("[DONE]");
        assertThat(after.stream().filter(l -> l.contains("\"content\"")).count()).as("pieces after the revocation").isLessThan(100);
        // nothing of the cut-off exchange was remembered
        assertThat(kim.get("/api/search?q=secret").body()).isEqualTo("[]");
        assertThat(json(kim.get("/api/conversations"))).isEmpty();
    }

    @Test
    void removingAUserEndsTheirStreamsAndTheirIdGoesToNobodyElse() throws Exception {
        TestServer gone = server.newUser("gone");
        long goneId = json(gone.get("/api/auth/me")).at("/user/id").asLong();
        long conv = json(gone.post("/api/conversations", "{}")).get("id").asLong();
        Stream progress = open(gone, "/api/adapters/progress", null);
        Stream answer = open(gone, "/api/conversations/" + conv + "/messages", "{\"content\":\"tell me a long story about my garden\"}");
        assertThat(answer.firstData().await(60, TimeUnit.SECONDS)).isTrue();
        TestServer.eventually(java.time.Duration.ofSeconds(30), () -> progress.lines().stream().anyMatch(l -> l.startsWith("data:")));

        assertThat(server.delete("/api/users/" + goneId).statusCode()).isEqualTo(204);
        // both end now (not at the next heartbeat, not when the answer is complete)
        answer.ended().get(60, TimeUnit.SECONDS);
        progress.ended().get(10, TimeUnit.SECONDS);
        assertThat(String.join("\n", answer.lines())).as("the answer did not run to its end")
                .doesNotContainPattern("event: done\\ndata: \\{[^\\n]*\"status\":\"complete\"");

        TestServer next = server.newUser("next");
        long nextId = json(next.get("/api/auth/me")).at("/user/id").asLong();
        assertThat(nextId).as("a removed user's id is never given out again").isGreaterThan(goneId);
        assertThat(json(next.get("/api/conversations"))).isEmpty();
        assertThat(next.get("/api/search?q=garden").body()).isEqualTo("[]");
        assertThat(server.assistant.database().conversations().list(goneId)).as("nothing was stored for the removed user").isEmpty();
    }

    @Test
    void deletingAnotherUsersConversationStopsNothing() throws Exception {
        TestServer alice = server.newUser("alice");
        TestServer bob = server.newUser("bob");
        long conv = json(alice.post("/api/conversations", "{}")).get("id").asLong();
        Stream answer = open(alice, "/api/conversations/" + conv + "/messages", "{\"content\":\"tell me a long story\"}");
        assertThat(answer.firstData().await(60, TimeUnit.SECONDS)).isTrue();
        HttpResponse<String> theirs = bob.delete("/api/conversations/" + conv);
        assertThat(theirs.statusCode()).isEqualTo(404);
        int at = tokenCount(answer);
        // the answer goes on: twenty more pieces arrive (a cancelled one would have ended with "partial" at once)
        TestServer.eventually(java.time.Duration.ofSeconds(60), () -> tokenCount(answer) >= at + 20 || answer.ended().isDone());
        assertThat(tokenCount(answer)).isGreaterThanOrEqualTo(at + 20);
        assertThat(String.join("\n", answer.lines())).doesNotContain("event: done");
        assertThat(json(alice.post("/api/conversations/" + conv + "/stop", "{}")).get("stopped").asBoolean()).isTrue();
        answer.ended().get(60, TimeUnit.SECONDS);
        assertThat(json(alice.get("/api/conversations/" + conv + "/messages"))).hasSize(2);
    }

    static int tokenCount(Stream s) {
        synchronized (s.lines()) {
            return (int) s.lines().stream().filter(l -> l.equals("event: token")).count();
        }
    }
}
