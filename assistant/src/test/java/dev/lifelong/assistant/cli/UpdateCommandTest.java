package dev.lifelong.assistant.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.memory.AdapterVersionStore;
import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.MessageStatus;
import dev.lifelong.memory.Role;
import dev.lifelong.memory.UpdateJob;
import dev.lifelong.memory.UpdateJobStore;
import dev.lifelong.memory.Users;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lifelong update --now} and {@code lifelong adapters} as real processes on the tiny model: the verdict, the
 * figures, and kill -9 during training and during promotion followed by a restart.
 */
@Timeout(600)
class UpdateCommandTest {
    @TempDir Path dir;

    static final String[] WORDS = {"apple", "bridge", "candle", "desert", "engine", "forest", "guitar", "harbor", "island",
            "jungle", "kettle", "lemon", "marble", "needle", "orchid", "pepper", "quartz", "ribbon", "saddle", "tunnel"};

    void chat(String topic, int count) {
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            Conversation c = db.conversations().create(Users.OWNER_ID, topic);
            for (int i = 0; i < count; i++) {
                String a = WORDS[i % WORDS.length];
                String b = WORDS[(i * 7 + 3) % WORDS.length];
                db.messages().append(c.id(), Role.USER, "What do " + a + " and " + b + " have to do with " + topic + "?", MessageStatus.COMPLETE);
                db.messages().append(c.id(), Role.ASSISTANT, "In " + topic + ", a " + a + " meets a " + b + ".", MessageStatus.COMPLETE);
            }
        }
    }

    ProcessBuilder cli(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), LifelongCli.class.getName()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--data", dir.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true);
    }

    ProcessBuilder update() {
        return cli("update", "--now", "--model", TestModels.tiny().toString(), "--threads", "1", "--rank", "4", "--lr", "3e-3");
    }

    @Test
    void updatePrintsTheVerdictAndAdaptersListsTheFigures() throws Exception {
        chat("gardens", 12);
        String out = TrainCommandTest.run(update(), 0);
        assertThat(out).contains("· training", "· evaluating").containsPattern("v1 promoted: new-data loss");

        JsonNode json = new ObjectMapper().readTree(jsonPart(TrainCommandTest.run(cli("adapters", "--json"), 0)));
        assertThat(json.get("user").asText()).isEqualTo("owner");
        JsonNode v1 = json.get("versions").get(0);
        assertThat(v1.get("version").asInt()).isEqualTo(1);
        assertThat(v1.get("verdict").asText()).isEqualTo("promoted");
        assertThat(v1.get("serving").asBoolean()).isTrue();
        assertThat(v1.get("plasticity").asDouble()).isPositive();
        assertThat(v1.get("stability").isNull()).isTrue(); // nothing earlier to forget yet
        assertThat(v1.get("generalProbe").isNumber()).isTrue();
        assertThat(v1.get("replayCount").asInt()).isZero();
        assertThat(v1.at("/dataset/kept_turns").asInt()).isEqualTo(12);

        assertThat(TrainCommandTest.run(update(), 0)).contains("nothing new to learn");
        assertThat(TrainCommandTest.run(cli("adapters"), 0)).contains("v1", "promoted", "yes");
        assertThat(TrainCommandTest.run(cli("adapters", "--serve", "7"), 2)).contains("no adapter version 7");
        assertThat(TrainCommandTest.run(cli("update", "--now", "--user", "nobody"), 2)).contains("no user called 'nobody'");
        assertThat(TrainCommandTest.run(cli("adapters", "--base"), 0)).contains("base model");
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            assertThat(new AdapterVersionStore(db).serving(Users.OWNER_ID)).isEmpty();
        }
        assertThat(TrainCommandTest.run(cli("adapters", "--serve", "1"), 0)).contains("now answered with v1");
        assertThat(TrainCommandTest.run(cli("adapters", "--prune", "0"), 2)).contains("at least 1");
        assertThat(TrainCommandTest.run(cli("adapters", "--prune", "1"), 0)).contains("deleted 0 old adapter file(s)");
    }

    @Test
    void killedDuringTrainingThenRunAgainResumesTheSameJob() throws Exception {
        chat("rivers", 20);
        Process p = update().start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null && !line.contains(" step ")) {
                // wait until training has made its first steps
            }
            assertThat(line).isNotNull();
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
            p.waitFor();
        }
        assertThat(p.exitValue()).isEqualTo(137);
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            UpdateJob job = new UpdateJobStore(db).list(Users.OWNER_ID, 1).getFirst();
            assertThat(job.state()).isEqualTo(UpdateJob.State.RUNNING);
            assertThat(new AdapterVersionStore(db).serving(Users.OWNER_ID)).isEmpty();
        }
        String out = TrainCommandTest.run(update(), 0);
        assertThat(out).contains("continuing update job 1 (attempt 2)").containsPattern("v1 (promoted|rejected)");
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            UpdateJob job = new UpdateJobStore(db).find(1).orElseThrow();
            assertThat(job.state()).isEqualTo(UpdateJob.State.SUCCEEDED);
            assertThat(job.attempts()).isEqualTo(2);
        }
        assertIntact();
    }

    @Test
    void killedDuringPromotionKeepsThePreviousAdapterServingAndFinishesOnTheNextRun() throws Exception {
        chat("tea", 12);
        assertThat(TrainCommandTest.run(update(), 0)).contains("v1 promoted");
        chat("coffee", 12);
        ProcessBuilder crashing = update();
        crashing.environment().put("LIFELONG_CRASH_AT", "promotion");
        String crashed = TrainCommandTest.run(crashing, 137);
        assertThat(crashed).contains("· promoting");
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            assertThat(new AdapterVersionStore(db).serving(Users.OWNER_ID).orElseThrow().version()).isEqualTo(1);
            assertThat(new AdapterVersionStore(db).list(Users.OWNER_ID)).hasSize(1);
        }
        assertIntact();
        String out = TrainCommandTest.run(update(), 0);
        assertThat(out).contains("continuing update job 2").contains("v2 promoted");
        assertThat(out).doesNotContain("step "); // training had finished: not run again
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            assertThat(new AdapterVersionStore(db).serving(Users.OWNER_ID).orElseThrow().version()).isEqualTo(2);
        }
        try (Stream<Path> files = Files.walk(dir.resolve("adapters"))) {
            assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp")).noneMatch(n -> n.startsWith("job-"));
        }
        assertIntact();
    }

    @Test
    void aFullDiskDuringTrainingOutputOrPromotionFailsClearlyAndKeepsTheServingAdapter() throws Exception {
        chat("tea", 12);
        assertThat(TrainCommandTest.run(update(), 0)).contains("v1 promoted");
        byte[] v1;
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            v1 = Files.readAllBytes(dir.resolve(new AdapterVersionStore(db).serving(Users.OWNER_ID).orElseThrow().file()));
        }
        chat("coffee", 12);
        for (String point : new String[] {"adapter", "promotion"}) {
            ProcessBuilder full = update();
            full.environment().put("LIFELONG_FAULT", "disk-full:" + point);
            String out = runExpectingFailure(full);
            assertThat(out).as(point).contains("No space left on device").doesNotContain("Exception in thread");
            try (Database db = Database.open(dir.resolve("lifelong.db"))) {
                var serving = new AdapterVersionStore(db).serving(Users.OWNER_ID).orElseThrow();
                assertThat(serving.version()).as(point).isEqualTo(1);
                assertThat(Files.readAllBytes(dir.resolve(serving.file()))).as("the serving adapter's bytes").isEqualTo(v1);
            }
            try (Stream<Path> files = Files.walk(dir.resolve("adapters"))) {
                assertThat(files.map(f -> f.getFileName().toString())).as(point).noneMatch(n -> n.endsWith(".tmp")).noneMatch(n -> n.matches("v[2-9].*"));
            }
            assertIntact();
        }
        // with space again, the next run finishes the job
        assertThat(TrainCommandTest.run(update(), 0)).contains("v2 promoted");
        assertIntact();
    }

    private static String runExpectingFailure(ProcessBuilder pb) throws Exception {
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isNotZero().isNotEqualTo(137);
        return out;
    }

    private void assertIntact() throws Exception {
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("lifelong.db"));
             var rs = c.createStatement().executeQuery("PRAGMA integrity_check")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("ok");
        }
    }

    private static String jsonPart(String out) {
        return out.substring(out.indexOf('{'));
    }
}
