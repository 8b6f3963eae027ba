package dev.lifelong.assistant.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --record}: what a record holds, when it is refused, and the README regenerated from it (in a real git checkout). */
class BenchmarkHistoryTest {
    @TempDir Path repo;

    static String git(Path repo, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", repo.toString(), "-c", "user.name=Bench Test", "-c", "user.email=bench@example.org",
                "-c", "commit.gpgsign=false"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.strip();
    }

    /** A checkout with a README holding every benchmark's region, committed. */
    void checkout() throws Exception {
        git(repo, "init", "-q");
        StringBuilder readme = new StringBuilder("# Project\n\n## Benchmarks\n");
        for (String bench : BenchmarkReadme.BENCHMARKS) readme.append(BenchmarkReadme.open(bench)).append("\nold text\n").append(BenchmarkReadme.close(bench)).append("\n");
        readme.append("\n## After\nstays\n");
        Files.writeString(repo.resolve("README.md"), readme);
        Files.createDirectories(repo.resolve("src"));
        Files.writeString(repo.resolve("src/Code.java"), "class Code {}\n");
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", "The code that runs");
    }

    static List<Map<String, Object>> loadFigures() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("bench", "load");
        f.put("model", "seedling");
        f.put("users", 4);
        f.put("clients_per_user", 2);
        f.put("server_slots", 2);
        f.put("max_tokens", 32);
        f.put("seconds", 66.2);
        f.put("answers", 146);
        f.put("errors", 0);
        f.put("ttft_p50_ms", 2800.0);
        f.put("ttft_p95_ms", 6100.0);
        f.put("tokens_per_s_total", 41.9);
        f.put("answers_per_user", List.of(39, 38, 34, 35));
        f.put("goal", "zero errors, no user starved");
        f.put("machine", MachineInfo.describe());
        return List.of(f);
    }

    static BenchmarkHistory.RunContext context() {
        return new BenchmarkHistory.RunContext(Instant.parse("2026-12-07T10:00:00Z"), Instant.parse("2026-12-07T10:01:06Z"), 0.12, 1.5);
    }

    @Test
    void aRecordNamesTheCommitThatRanAndTheReadmeShowsIt() throws Exception {
        checkout();
        String head = git(repo, "rev-parse", "HEAD");

        Path file = BenchmarkHistory.record(repo, "load", loadFigures(), context());

        assertThat(file.getParent()).isEqualTo(repo.resolve("docs/benchmarks/history"));
        assertThat(file.getFileName().toString()).isEqualTo("load-20261207T100106Z-" + head.substring(0, 7) + ".json");
        JsonNode record = BenchmarkHistory.read(file);
        assertThat(record.get("commit").asText()).isEqualTo(head);
        assertThat(record.get("commit_subject").asText()).isEqualTo("The code that runs");
        assertThat(record.get("seconds").asInt()).isEqualTo(66);
        assertThat(record.get("load_average_1m").get("before").asDouble()).isEqualTo(0.12);
        assertThat(record.get("figures").get(0).get("answers").asInt()).isEqualTo(146);
        assertThat(BenchmarkHistory.latest(repo, "load")).contains(file);
        assertThat(BenchmarkHistory.latest(repo, "serving")).isEmpty();

        assertThat(BenchmarkReadme.update(repo)).containsExactlyInAnyOrder(BenchmarkReadme.BENCHMARKS.toArray(String[]::new));
        String readme = Files.readString(repo.resolve("README.md"));
        String load = BenchmarkReadme.region(readme, "load");
        assertThat(load).contains("commit `" + head.substring(0, 7) + "` (The code that runs) on 2026-12-07 10:01 UTC")
                .contains("load average 0.12 before, 1.5 after").contains("docs/benchmarks/history/" + file.getFileName())
                .contains("| seedling | 4 × 2 (2) | 32 tokens | 66 | 146 | 0 | 2,800 / 6,100 ms | 41.9 | 39 / 38 / 34 / 35 | zero errors, no user starved |");
        assertThat(BenchmarkReadme.region(readme, "serving")).contains("No record yet").doesNotContain("old text");
        assertThat(readme).startsWith("# Project\n\n## Benchmarks\n").endsWith("\n## After\nstays\n");
        // regenerating again changes nothing
        assertThat(BenchmarkReadme.update(repo)).isEmpty();

        // a later record of the same benchmark is the one shown
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", "Record and README");
        Files.writeString(repo.resolve("src/Code.java"), "class Code { int faster; }\n");
        git(repo, "commit", "-q", "-am", "Faster code");
        String next = git(repo, "rev-parse", "HEAD");
        BenchmarkHistory.RunContext later = new BenchmarkHistory.RunContext(Instant.parse("2026-12-08T09:00:00Z"), Instant.parse("2026-12-08T09:01:00Z"), 0.05, 0.9);
        Path second = BenchmarkHistory.record(repo, "load", loadFigures(), later);
        assertThat(BenchmarkHistory.latest(repo, "load")).contains(second);
        assertThat(BenchmarkReadme.update(repo)).containsExactly("load");
        assertThat(BenchmarkReadme.region(Files.readString(repo.resolve("README.md")), "load")).contains("commit `" + next.substring(0, 7) + "` (Faster code)");
    }

    @Test
    void uncommittedCodeIsNotRecordedBecauseTheCommitWouldNotBeWhatRan() throws Exception {
        checkout();
        Files.writeString(repo.resolve("src/Code.java"), "class Code { int changed; }\n");
        assertThatThrownBy(() -> BenchmarkHistory.record(repo, "load", loadFigures(), context()))
                .isInstanceOf(BenchmarkHistory.NotRecordableException.class)
                .hasMessageContaining("uncommitted changes").hasMessageContaining("src/Code.java");
        git(repo, "checkout", "--", "src/Code.java");

        Files.writeString(repo.resolve("src/New.java"), "class New {}\n"); // untracked code ran too
        assertThatThrownBy(() -> BenchmarkHistory.requireRecordable(repo)).hasMessageContaining("src/New.java");
        Files.delete(repo.resolve("src/New.java"));

        // what recording itself changes does not count
        Files.writeString(repo.resolve("README.md"), "edited\n", java.nio.file.StandardOpenOption.APPEND);
        Files.createDirectories(repo.resolve("docs/benchmarks/history"));
        Files.writeString(repo.resolve("docs/benchmarks/history/serving-20261201T000000Z-0000000.json"), "{}");
        assertThat(BenchmarkHistory.requireRecordable(repo)).isEqualTo(git(repo, "rev-parse", "HEAD"));
    }

    @Test
    void aFolderThatIsNotACheckoutIsRefusedInWords() {
        assertThatThrownBy(() -> BenchmarkHistory.requireRecordable(repo))
                .isInstanceOf(BenchmarkHistory.NotRecordableException.class).hasMessageContaining("not a git checkout");
    }
}
