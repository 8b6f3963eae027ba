package dev.lifelong.assistant.update;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.MessageStatus;
import dev.lifelong.memory.Role;
import dev.lifelong.memory.Users;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loop through the running server on the tiny model: "train now" → live progress over SSE → the adapter is
 * promoted → the next answer comes from it; rollback to the base and back without a restart; an answer streaming
 * during the swap finishes on the model it started with.
 */
@Timeout(600)
class LifelongLoopApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path data;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(data, TestModels.tiny(), 1024, 24);
        assertThat(server.patch("/api/settings", "{\"memoryExtraction\":false}").statusCode()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static final String[] WORDS = {"apple", "bridge", "candle", "desert", "engine", "forest", "guitar", "harbor", "island",
            "jungle", "kettle", "lemon", "marble", "needle", "orchid", "pepper", "quartz", "ribbon", "saddle", "tunnel"};

    static String ask(long conversation, String text) throws Exception {
        List<TestServer.Event> events = server.stream("/api/conversations/" + conversation + "/messages",
                JSON.writeValueAsString(java.util.Map.of("content", text)), null);
        TestServer.Event done = events.stream().filter(e -> e.name().equals("done")).findFirst().orElseThrow(() -> new AssertionError(events));
        return JSON.readTree(done.data()).get("content").asText();
    }

    static long conversation() throws Exception {
        return JSON.readTree(server.post("/api/conversations", "{}").body()).get("id").asLong();
    }

    @Test
    void trainNowPromotesAndTheNextAnswerComesFromTheNewAdapterWithoutARestart() throws Exception {
        Database db = server.assistant.database();
        Conversation c = db.conversations().create(Users.OWNER_ID, "gardens");
        for (int i = 0; i < 16; i++) {
            String a = WORDS[i % WORDS.length];
            String b = WORDS[(i * 7 + 3) % WORDS.length];
            db.messages().append(c.id(), Role.USER, "What do " + a + " and " + b + " have to do with gardens?", MessageStatus.COMPLETE);
            db.messages().append(c.id(), Role.ASSISTANT, "In gardens, a " + a + " meets a " + b + ".", MessageStatus.COMPLETE);
        }
        String question = "What do apple and lemon have to do with gardens?";
        String before = ask(conversation(), question);

        // Follow the progress stream while "train now" runs.
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<java.io.InputStream> sse = http.send(HttpRequest.newBuilder(server.uri("/api/adapters/progress"))
                .header("Authorization", "Bearer " + server.apiKey).timeout(Duration.ofSeconds(300)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(sse.statusCode()).isEqualTo(200);
        assertThat(sse.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        HttpResponse<String> queued = server.post("/api/adapters/train", "");
        assertThat(queued.statusCode()).isEqualTo(202);
        long job = JSON.readTree(queued.body()).get("id").asLong();
        List<JsonNode> progress = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(sse.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.startsWith("data: ") || line.equals("data: null")) continue;
                JsonNode p = JSON.readTree(line.substring(6));
                if (!p.has("jobId") || p.get("jobId").asLong() != job) continue;
                progress.add(p);
                if (List.of("succeeded", "failed", "retrying").contains(p.get("state").asText())) break;
            }
        }
        JsonNode last = progress.getLast();
        assertThat(last.get("state").asText()).as(last.toString()).isEqualTo("succeeded");
        assertThat(last.get("message").asText()).startsWith("Learned from ").endsWith("Now answering with v1.");
        assertThat(last.get("version").asInt()).isEqualTo(1);
        assertThat(progress).anySatisfy(p -> {
            assertThat(p.get("phase").asText()).isEqualTo("training");
            assertThat(p.get("step").asInt()).isPositive();
            assertThat(p.get("loss").asDouble()).isPositive();
        });
        assertThat(progress.stream().map(p -> p.get("phase").asText()).distinct().toList()).contains("training", "evaluating", "done");

        JsonNode overview = JSON.readTree(server.get("/api/adapters").body());
        assertThat(overview.at("/serving/version").asInt()).isEqualTo(1);
        assertThat(overview.at("/serving/report/dataset/kept_turns").asInt()).isEqualTo(16 + 1); // and the probe exchange
        assertThat(overview.at("/jobs/0/state").asText()).isEqualTo("succeeded");
        long v1 = overview.at("/serving/id").asLong();

        String after = ask(conversation(), question);
        assertThat(after).as("the answer with the adapter").isNotEqualTo(before);

        // Rollback to the base model and forward again, no restart: the answers follow.
        assertThat(server.post("/api/adapters/base", "").statusCode()).isEqualTo(204);
        assertThat(ask(conversation(), question)).isEqualTo(before);
        assertThat(server.post("/api/adapters/" + v1 + "/serve", "").statusCode()).isEqualTo(200);
        assertThat(ask(conversation(), question)).isEqualTo(after);

        // An answer in flight during a swap finishes on the model it started with.
        long inFlight = conversation();
        AtomicBoolean swapped = new AtomicBoolean();
        List<TestServer.Event> events = server.stream("/api/conversations/" + inFlight + "/messages",
                JSON.writeValueAsString(java.util.Map.of("content", question)), e -> {
                    if (e.name().equals("token") && swapped.compareAndSet(false, true)) {
                        assertThat(server.post("/api/adapters/base", "").statusCode()).isEqualTo(204);
                    }
                    return false;
                });
        assertThat(swapped).isTrue();
        JsonNode done = JSON.readTree(events.stream().filter(e -> e.name().equals("done")).findFirst().orElseThrow().data());
        assertThat(done.get("status").asText()).isEqualTo("complete");
        assertThat(done.get("content").asText()).isEqualTo(after);
        assertThat(ask(conversation(), question)).isEqualTo(before);
    }

    @Test
    void badRequestsGetClearErrors() throws Exception {
        assertThat(server.post("/api/adapters/999/serve", "").statusCode()).isEqualTo(404);
        assertThat(server.post("/api/adapters/abc/serve", "").statusCode()).isEqualTo(400);
        long id = conversation();
        assertThat(server.patch("/api/conversations/" + id, "{\"private\":\"yes\"}").statusCode()).isEqualTo(400);
        assertThat(server.patch("/api/conversations/" + id, "{\"secret\":true}").statusCode()).isEqualTo(400);
        HttpResponse<String> priv = server.patch("/api/conversations/" + id, "{\"private\":true}");
        assertThat(priv.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(priv.body()).get("private").asBoolean()).isTrue();
        assertThat(server.post("/api/messages/999999/rating", "{\"rating\":\"down\"}").statusCode()).isEqualTo(404);
        assertThat(server.post("/api/messages/1/rating", "{\"rating\":\"meh\"}").statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(server.get("/api/adapters").body()).get("updateWindow").asText()).isEqualTo("off"); // the test server's default
        assertThat(server.patch("/api/adapters/settings", "{\"updateWindow\":\"25:00-26:00\"}").statusCode()).isEqualTo(400);
        assertThat(server.patch("/api/adapters/settings", "{\"window\":\"01:00-05:00\"}").statusCode()).isEqualTo(400);
        HttpResponse<String> set = server.patch("/api/adapters/settings", "{\"updateWindow\":\"01:00-05:00\"}");
        assertThat(set.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(set.body()).get("updateWindow").asText()).isEqualTo("01:00-05:00");
        assertThat(server.post("/api/adapters/prune", "{\"keep\":0}").statusCode()).isEqualTo(400);
        assertThat(server.post("/api/adapters/prune", "{\"keep\":\"x\"}").statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(server.post("/api/adapters/prune", "{\"keep\":3}").body()).get("deleted").asInt()).isZero();
    }
}
