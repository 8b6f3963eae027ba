package dev.lifelong.assistant.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's benchmark tables are what the history gives, and only their regions are rewritten. */
class BenchmarkReadmeTest {
    @Test
    void theReadmeIsWhatTheHistoryGives() throws Exception {
        Path repo = QuickRun.repoRoot();
        String readme = Files.readString(repo.resolve("README.md"));
        for (String bench : BenchmarkReadme.BENCHMARKS) {
            assertThat(readme).as("README.md has the region of %s", bench).contains(BenchmarkReadme.open(bench) + "\n", BenchmarkReadme.close(bench));
        }
        String generated = BenchmarkReadme.generate(repo, readme);
        for (String bench : BenchmarkReadme.BENCHMARKS) {
            assertThat(BenchmarkReadme.region(readme, bench))
                    .as("README.md's %s table differs from docs/benchmarks/history: run ./bench/run readme (never edit it by hand)", bench)
                    .isEqualTo(BenchmarkReadme.region(generated, bench));
        }
        assertThat(generated).isEqualTo(readme);
    }

    @Test
    void onlyTheRegionsAreRewritten() {
        String readme = "intro\n<!-- bench:load -->\nold\nlines\n<!-- /bench:load -->\noutro\n";
        assertThat(BenchmarkReadme.replaceRegions(readme, Map.of("load", "new\n"))).isEqualTo("intro\n<!-- bench:load -->\nnew\n<!-- /bench:load -->\noutro\n");
        assertThatThrownBy(() -> BenchmarkReadme.replaceRegions("no markers\n", Map.of("load", "x\n"))).hasMessageContaining("<!-- bench:load -->");
        assertThatThrownBy(() -> BenchmarkReadme.replaceRegions(readme + readme, Map.of("load", "x\n"))).hasMessageContaining("exactly one");
    }

    @Test
    void aFigureWithoutAValueTheTableShowsFailsInsteadOfWritingNull() {
        Map<String, Object> figure = new HashMap<>(BenchmarkHistoryTest.loadFigures().get(0));
        assertThat(BenchmarkReadme.table("load", List.of(figure))).contains("| seedling |");
        figure.remove("ttft_p95_ms");
        assertThatThrownBy(() -> BenchmarkReadme.table("load", List.of(figure))).hasMessageContaining("ttft_p95_ms");
        assertThatThrownBy(() -> BenchmarkReadme.table("nonsense", List.of(figure))).hasMessageContaining("nonsense");
    }
}
