package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import dev.lifelong.loop.DatasetBuilder;
import dev.lifelong.memory.AdapterVersionStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * User B tries every endpoint on user A's objects and gets 403/404; nothing of A's changes, and nothing of A's shows in
 * B's lists, searches, retrieval or training data.
 */
class IsolationTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SECRET = "Zanzibar-7731";
    @TempDir static Path data;
    static TestServer server;
    static TestServer alice;
    static TestServer bob;
    static long conv, userMsg, answerMsg, memory, key, version, aliceId, bobId;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(data, TestModels.tiny(), 1024, 8);
        alice = server.newUser("alice");
        bob = server.newUser("bob");
        aliceId = json(alice.get("/api/auth/me")).at("/user/id").asLong();
        bobId = json(bob.get("/api/auth/me")).at("/user/id").asLong();
        conv = json(alice.post("/api/conversations", "{\"title\":\"alice " + SECRET + "\"}")).get("id").asLong();
        alice.stream("/api/conversations/" + conv + "/messages", "{\"content\":\"my code word is " + SECRET + "\"}", null);
        JsonNode messages = json(alice.get("/api/conversations/" + conv + "/messages"));
        userMsg = messages.get(0).get("id").asLong();
        answerMsg = messages.get(1).get("id").asLong();
        memory = json(alice.post("/api/memories", "{\"text\":\"Alice's code word is " + SECRET + "\"}")).get("id").asLong();
        key = json(alice.post("/api/keys", "{\"name\":\"alice's laptop\"}")).get("id").asLong();
        version = new AdapterVersionStore(server.assistant.database()).add(new AdapterVersionStore.NewVersion(aliceId, null, null, false,
                null, null, "base", "data", answerMsg, "{}", "test")).id();
    }

    @AfterAll
    static void stop() { server.close(); }

    static JsonNode json(HttpResponse<String> r) throws Exception { return JSON.readTree(r.body()); }

    record Attempt(String method, String path, String body) {}

    @Test
    void everyEndpointOnAnotherUsersObjectsIsRefused() throws Exception {
        List<Attempt> attempts = List.of(
                new Attempt("GET", "/api/conversations/" + conv + "/messages", null),
                new Attempt("PATCH", "/api/conversations/" + conv, "{\"title\":\"mine now\"}"),
                new Attempt("PATCH", "/api/conversations/" + conv, "{\"private\":true}"),
                new Attempt("DELETE", "/api/conversations/" + conv, null),
                new Attempt("POST", "/api/conversations/" + conv + "/messages", "{\"content\":\"hello\"}"),
                new Attempt("POST", "/api/conversations/" + conv + "/regenerate", "{}"),
                new Attempt("POST", "/api/conversations/" + conv + "/edit", "{\"content\":\"edited\"}"),
                new Attempt("POST", "/api/conversations/" + conv + "/stop", "{}"),
                new Attempt("POST", "/api/messages/" + answerMsg + "/correction", "{\"correction\":\"wrong\"}"),
                new Attempt("POST", "/api/messages/" + answerMsg + "/rating", "{\"rating\":\"down\"}"),
                new Attempt("GET", "/api/messages/" + answerMsg + "/memories", null),
                new Attempt("GET", "/api/memories/" + memory, null),
                new Attempt("PATCH", "/api/memories/" + memory, "{\"text\":\"overwritten\"}"),
                new Attempt("DELETE", "/api/memories/" + memory, null),
                new Attempt("POST", "/api/memories/" + memory + "/forget", "{}"),
                new Attempt("POST", "/api/adapters/" + version + "/serve", "{}"),
                new Attempt("PATCH", "/api/keys/" + key, "{\"memory\":false}"),
                new Attempt("DELETE", "/api/keys/" + key, null),
                new Attempt("DELETE", "/api/users/" + aliceId, null),
                new Attempt("GET", "/api/users", null));
        List<String> leaks = new ArrayList<>();
        for (Attempt a : attempts) {
            HttpRequest.Builder b = HttpRequest.newBuilder(bob.uri(a.path())).header("Content-Type", "application/json")
                    .method(a.method(), a.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(a.body()));
            HttpResponse<String> r = bob.send(b);
            if (r.statusCode() != 403 && r.statusCode() != 404) leaks.add(a + " -> " + r.statusCode() + " " + r.body());
            if (r.body().contains(SECRET)) leaks.add(a + " leaked the secret: " + r.body());
        }
        assertThat(leaks).isEmpty();

        // nothing of Alice's changed
        JsonNode messages = json(alice.get("/api/conversations/" + conv + "/messages"));
        assertThat(messages).hasSize(2);
        assertThat(messages.get(0).get("content").asText()).contains(SECRET);
        assertThat(json(alice.get("/api/memories/" + memory)).get("text").asText()).contains(SECRET);
        assertThat(json(alice.get("/api/conversations")).get(0).get("title").asText()).contains(SECRET);
        assertThat(alice.get("/api/keys").body()).contains("alice's laptop").doesNotContain("revokedAt\":1");
    }

    @Test
    void anotherUsersIdIsAnsweredExactlyLikeAMissingOne() throws Exception {
        long missing = 987_654;
        List<Attempt> probes = List.of(
                new Attempt("POST", "/api/messages/%d/rating", "{\"rating\":\"down\"}"),
                new Attempt("POST", "/api/messages/%d/correction", "{\"correction\":\"wrong\"}"),
                new Attempt("GET", "/api/messages/%d/memories", null));
        for (Attempt p : probes) {
            HttpResponse<String> theirs = send(bob, p, answerMsg);
            HttpResponse<String> none = send(bob, p, missing);
            assertThat(theirs.statusCode()).as(p.path()).isEqualTo(404).isEqualTo(none.statusCode());
            // the same code and the same words: neither existence nor the conversation id can be read off the answer
            assertThat(json(theirs).at("/error/code").asText()).as(p.path()).isEqualTo(json(none).at("/error/code").asText());
            assertThat(json(theirs).at("/error/message").asText().replace(String.valueOf(answerMsg), "N")).as(p.path())
                    .isEqualTo(json(none).at("/error/message").asText().replace(String.valueOf(missing), "N"))
                    .doesNotContain(String.valueOf(conv));
        }
    }

    static HttpResponse<String> send(TestServer who, Attempt a, long id) {
        String path = String.format(a.path(), id);
        return who.send(HttpRequest.newBuilder(who.uri(path)).header("Content-Type", "application/json")
                .method(a.method(), a.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(a.body())));
    }

    @Test
    void listsSearchesRetrievalAndTrainingDataNeverMixUsers() throws Exception {
        for (String path : List.of("/api/conversations", "/api/memories", "/api/memories/search?q=" + SECRET,
                "/api/search?q=" + SECRET, "/api/adapters", "/api/keys", "/api/settings")) {
            HttpResponse<String> r = bob.get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.body()).as(path).doesNotContain(SECRET).doesNotContain("alice");
        }
        assertThat(json(bob.get("/api/adapters")).get("versions")).isEmpty();
        // Bob's chat gets no memory of Alice's in its prompt: same prompt size as with memory off
        String body = "{\"model\":\"default\",\"max_tokens\":1,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"What is my code word?\"}]}";
        int bobs = json(bob.post("/v1/chat/completions", body, "X-Lifelong-Memory", "off")).at("/usage/prompt_tokens").asInt();
        int bobsWithMemory = json(bob.post("/v1/chat/completions", body)).at("/usage/prompt_tokens").asInt();
        int alices = json(alice.post("/v1/chat/completions", body)).at("/usage/prompt_tokens").asInt();
        assertThat(bobsWithMemory).as("Bob has no memories to add").isEqualTo(bobs);
        assertThat(alices).as("Alice's memory goes into her prompt").isGreaterThan(bobs);
        // exports hold only the caller's data
        HttpResponse<byte[]> export = java.net.http.HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(bob.uri("/api/export")).header("Authorization", "Bearer " + bob.apiKey).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(export.statusCode()).isEqualTo(200);
        assertThat(export.headers().firstValue("content-type").orElse("")).startsWith("application/zip");
        String bobsZip = unzipAll(export.body());
        assertThat(bobsZip).contains("\"user\" : \"bob\"").doesNotContain(SECRET);
        HttpResponse<byte[]> alicesExport = java.net.http.HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(alice.uri("/api/export")).header("Authorization", "Bearer " + alice.apiKey).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(unzipAll(alicesExport.body())).contains(SECRET);
        // training data of Bob holds nothing of Alice's
        var dataset = new DatasetBuilder(server.assistant.database(), "sys").interactions(bobId, 0, Long.MAX_VALUE);
        assertThat(dataset.examples().toString()).doesNotContain(SECRET);
        assertThat(new DatasetBuilder(server.assistant.database(), "sys").interactions(aliceId, 0, Long.MAX_VALUE).examples().toString())
                .as("the same builder does see Alice's own exchange").contains(SECRET);
    }

    static String unzipAll(byte[] zip) throws Exception {
        StringBuilder out = new StringBuilder();
        try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (!e.getName().endsWith(".gguf")) out.append(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return out.toString();
    }
}
