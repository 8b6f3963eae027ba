package dev.lifelong.loop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.lora.TrainingProgress;
import dev.lifelong.memory.AdapterVersion;
import dev.lifelong.memory.AdapterVersionStore;
import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.MessageStatus;
import dev.lifelong.memory.MemoryKind;
import dev.lifelong.memory.Role;
import dev.lifelong.memory.Users;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole loop on a tiny random-weight model with the real trainer and evaluator processes and a real SQLite file:
 * chats become a promoted adapter, the next night continues from it with replay, and a failing gate keeps the old one.
 */
class LifelongUpdateTest {
    @TempDir Path dir;

    static final UpdateSettings SETTINGS = UpdateSettings.defaults().withSystemPrompt("You are Lifelong.").withTraining(4, 3e-3f, 3)
            .withThreads(1);

    static final String[] WORDS = {"apple", "bridge", "candle", "desert", "engine", "forest", "guitar", "harbor", "island",
            "jungle", "kettle", "lemon", "marble", "needle", "orchid", "pepper", "quartz", "ribbon", "saddle", "tunnel"};

    /** {@code count} exchanges on a topic, each about other words (so none is a near-duplicate of another). */
    static void chat(Database db, long user, String topic, int count) {
        Conversation c = db.conversations().create(user, topic);
        for (int i = 0; i < count; i++) {
            String a = WORDS[i % WORDS.length];
            String b = WORDS[(i * 7 + 3) % WORDS.length];
            db.messages().append(c.id(), Role.USER, "What do " + a + " and " + b + " have to do with " + topic + "?", MessageStatus.COMPLETE);
            db.messages().append(c.id(), Role.ASSISTANT, "In " + topic + ", a " + a + " meets a " + b + ".", MessageStatus.COMPLETE);
        }
    }

    @Test
    void chatsBecomeAPromotedAdapterTheNextRunContinuesWithReplayAndAFailedGateKeepsTheServingOne() throws Exception {
        Path base = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), dir.resolve("base.gguf"));
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            long user = Users.OWNER_ID;
            chat(db, user, "gardens", 12);
            db.memories().add(user, MemoryKind.FACT, "The user's cat is called Momo.", null);
            AdapterVersionStore versions = new AdapterVersionStore(db);
            LifelongUpdate update = new LifelongUpdate(db, dir, base, SETTINGS);
            List<String> phases = new ArrayList<>();
            List<TrainingProgress> steps = new ArrayList<>();
            UpdateOutcome first = update.run(user, 1, new UpdateListener() {
                @Override public void phase(String phase) { phases.add(phase); }
                @Override public void training(TrainingProgress p) { steps.add(p); }
            });

            assertThat(first.promoted()).as(first.summary()).isTrue();
            AdapterVersion v1 = first.version();
            assertThat(v1.version()).isEqualTo(1);
            assertThat(v1.serving()).isTrue();
            assertThat(v1.parentId()).isNull();
            assertThat(dir.resolve(v1.file())).isRegularFile();
            assertThat(phases).containsSubsequence("building the dataset", "tokenizing", "training", "evaluating", "gating", "promoting");
            assertThat(steps).isNotEmpty();
            assertThat(steps.getLast().step()).isEqualTo(steps.getLast().totalSteps());
            JsonNode report = new ObjectMapper().readTree(v1.report());
            assertThat(report.at("/dataset/kept_turns").asInt()).isEqualTo(12);
            assertThat(report.at("/dataset/facts").asInt()).isEqualTo(1);
            assertThat(report.at("/dataset/new_held_out").asInt()).isEqualTo(1);
            assertThat(report.at("/replay/count").asInt()).isZero();
            assertThat(report.at("/scores/candidate/new/meanLoss").asDouble()).isLessThan(report.at("/scores/base/new/meanLoss").asDouble());
            assertThat(report.at("/training/lossHistory")).hasSize(report.at("/training/steps").asInt());
            assertThat(v1.dataUntilMessageId()).isEqualTo(db.messages().lastIdOf(user));
            assertThat(runFolders(user)).isEmpty();

            // Nothing new since v1: nothing to do.
            assertThat(update.run(user, 2, UpdateListener.NONE).version()).isNull();

            // The next day: continues from v1, replays earlier examples, keeps them in mind.
            chat(db, user, "rivers", 12);
            UpdateOutcome second = update.run(user, 3, UpdateListener.NONE);
            assertThat(second.promoted()).as(second.summary()).isTrue();
            AdapterVersion v2 = second.version();
            assertThat(v2.version()).isEqualTo(2);
            assertThat(v2.parentId()).isEqualTo(v1.id());
            JsonNode r2 = new ObjectMapper().readTree(v2.report());
            assertThat(r2.at("/dataset/kept_turns").asInt()).isEqualTo(12);
            assertThat(r2.at("/dataset/earlier_examples").asInt()).isEqualTo(12);
            assertThat(r2.at("/replay/count").asInt()).isEqualTo(8); // 1% of 12 < the minimum of 8
            assertThat(r2.at("/dataset/earlier_held_out").asInt()).isEqualTo(4);
            assertThat(r2.at("/continuedFrom").asText()).isEqualTo(v1.file());
            assertThat(r2.has("stability")).isTrue();
            assertThat(versions.serving(user).orElseThrow().id()).isEqualTo(v2.id());

            // A gate that cannot be passed: the candidate is recorded as rejected, v2 keeps serving, no file is left.
            chat(db, user, "mountains", 6);
            LifelongUpdate strict = new LifelongUpdate(db, dir, base, SETTINGS.withGate(new UpdateSettings.Gate(0.99, 0.05, 0.02, 0.05)));
            UpdateOutcome third = strict.run(user, 4, UpdateListener.NONE);
            assertThat(third.promoted()).isFalse();
            assertThat(third.version().state()).isEqualTo(AdapterVersion.State.REJECTED);
            assertThat(third.version().file()).isNull();
            assertThat(third.summary()).startsWith("rejected: new-data loss");
            assertThat(versions.serving(user).orElseThrow().id()).isEqualTo(v2.id());
            try (Stream<Path> files = Files.list(LifelongUpdate.userDir(dir, user))) {
                assertThat(files.filter(p -> p.toString().endsWith(".gguf")).map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("v1.gguf", "v2.gguf");
            }
            // Rejected data is not consumed: the next run still starts after v2.
            assertThat(update.run(user, 5, UpdateListener.NONE).version().dataUntilMessageId()).isEqualTo(db.messages().lastIdOf(user));
        }
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("lifelong.db")); var rs = c.createStatement().executeQuery("PRAGMA integrity_check")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("ok");
        }
    }

    @Test
    void retentionKeepsTheNewestPromotedFilesAndTheirFigures() throws Exception {
        Path base = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), dir.resolve("base.gguf"));
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            long user = Users.create(db, "ada");
            LifelongUpdate update = new LifelongUpdate(db, dir, base, SETTINGS.withKeepVersions(1).withTraining(4, 3e-3f, 1));
            chat(db, user, "tea", 6);
            AdapterVersion v1 = update.run(user, 1, UpdateListener.NONE).version();
            chat(db, user, "coffee", 6);
            AdapterVersion v2 = update.run(user, 2, UpdateListener.NONE).version();
            assertThat(v2.serving()).isTrue();
            AdapterVersion old = new AdapterVersionStore(db).find(user, v1.id()).orElseThrow();
            assertThat(old.file()).isNull();
            assertThat(old.report()).contains("plasticity");
            assertThat(dir.resolve("adapters/user-" + user + "/v1.gguf")).doesNotExist();
            assertThat(dir.resolve(v2.file())).isRegularFile();
        }
    }

    private List<Path> runFolders(long user) throws Exception {
        Path runs = LifelongUpdate.userDir(dir, user).resolve("runs");
        if (!Files.exists(runs)) return List.of();
        try (Stream<Path> s = Files.list(runs)) {
            return s.toList();
        }
    }
}
