package dev.lifelong.assistant.defaultmodel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestServer;
import dev.lifelong.assistant.app.ModelResolver;
import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.MemoryKind;
import dev.lifelong.memory.MessageStatus;
import dev.lifelong.memory.Role;
import dev.lifelong.memory.Users;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** One nightly update on the default model (the seedling) through the running server, with its figures printed. */
@Tag("slow")
@Timeout(900)
class SeedlingLoopTest {
    @TempDir Path dir;

    static final String[][] DAY = {
            {"My sister is called Lea.", "Got it: your sister is called Lea."},
            {"I live in Oslo.", "Noted: you live in Oslo."},
            {"My cat is called Momo.", "Got it: your cat is called Momo."},
            {"I work as a nurse.", "Noted: you work as a nurse."},
            {"My favourite colour is green.", "Got it: your favourite colour is green."},
            {"I was born in March.", "Noted: you were born in March."},
            {"My brother is called Tom.", "Got it: your brother is called Tom."},
            {"I drink my tea with lemon.", "Noted: you drink your tea with lemon."},
            {"Hello!", "Hello! How can I help you today?"},
            {"Thanks, bye!", "You are welcome. Goodbye!"},
            {"我住在杭州。", "好的，记住了：你住在杭州。"},
            {"我的狗叫旺财。", "好的，记住了：你的狗叫旺财。"},
    };

    @Test
    void aNightlyUpdateOnTheSeedlingRecordsItsFiguresAndServesWhatItPromotes() throws Exception {
        Path seedling = Path.of("").toAbsolutePath().getParent().resolve(ModelResolver.SEEDLING);
        Assumptions.assumeTrue(Files.isRegularFile(seedling), "the seedling is not built: " + seedling);
        ObjectMapper json = new ObjectMapper();
        try (TestServer server = TestServer.start(dir, null, 1024, 32, seedling)) {
            server.patch("/api/settings", "{\"memoryExtraction\":false}");
            Database db = server.assistant.database();
            for (int round = 0; round < 2; round++) {
                Conversation c = db.conversations().create(Users.OWNER_ID, "day " + round);
                for (String[] turn : DAY) {
                    String suffix = round == 0 ? "" : " ";
                    db.messages().append(c.id(), Role.USER, turn[0] + suffix, MessageStatus.COMPLETE);
                    db.messages().append(c.id(), Role.ASSISTANT, turn[1], MessageStatus.COMPLETE);
                }
            }
            db.memories().add(Users.OWNER_ID, MemoryKind.FACT, "The user's sister is called Lea.", null);
            db.memories().add(Users.OWNER_ID, MemoryKind.FACT, "The user lives in Oslo.", null);
            db.memories().add(Users.OWNER_ID, MemoryKind.FACT, "The user's cat is called Momo.", null);

            long started = System.nanoTime();
            long job = json.readTree(server.post("/api/adapters/train", "").body()).get("id").asLong();
            JsonNode overview;
            do {
                Thread.sleep(500);
                overview = json.readTree(server.get("/api/adapters").body());
            } while (!overview.at("/jobs/0/state").asText().matches("succeeded|failed") || overview.at("/jobs/0/id").asLong() != job);
            double seconds = (System.nanoTime() - started) / 1e9;
            assertThat(overview.at("/jobs/0/state").asText()).as(overview.toString()).isEqualTo("succeeded");
            JsonNode v = overview.at("/versions/0");
            JsonNode r = v.get("report");
            System.out.printf("seedling nightly update: %.0f s, %s%n  plasticity %.4f, general %+.4f, facts %s -> %s, examples %d%n", seconds,
                    v.get("reason").asText(), r.get("plasticity").asDouble(), r.get("general").asDouble(), r.at("/metrics/factsBefore"),
                    r.at("/metrics/factsAfter"), r.at("/dataset/training_examples").asInt());
            // Near-duplicate turns of the second day are curated out; the facts are taught closed-book.
            assertThat(r.at("/dataset/kept_turns").asInt()).isEqualTo(DAY.length);
            assertThat(r.at("/dataset/excluded_near_duplicate").asInt()).isEqualTo(DAY.length);
            assertThat(r.at("/dataset/facts").asInt()).isEqualTo(3);
            assertThat(r.at("/scores/candidate/new/meanLoss").asDouble()).isLessThan(r.at("/scores/base/new/meanLoss").asDouble());
            assertThat(r.at("/metrics/generalAfter").isNumber()).isTrue();
            if (v.get("state").asText().equals("promoted")) {
                assertThat(overview.at("/serving/version").asInt()).isEqualTo(1);
                long conv = json.readTree(server.post("/api/conversations", "{}").body()).get("id").asLong();
                var events = server.stream("/api/conversations/" + conv + "/messages", "{\"content\":\"Hello!\"}", null);
                assertThat(events.stream().anyMatch(e -> e.name().equals("done"))).isTrue();
            } else {
                assertThat(overview.get("serving").isNull()).isTrue();
            }
        }
    }
}
