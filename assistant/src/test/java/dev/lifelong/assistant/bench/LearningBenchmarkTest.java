package dev.lifelong.assistant.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./bench/run learning --quick} (run as the launcher runs it, see {@link QuickRun}): the whole pipeline on the
 * tiny model, and the shape of what it writes, including the figures the README's table is generated from.
 */
@Tag("slow")
@Timeout(1500)
class LearningBenchmarkTest {
    @TempDir Path out;

    @Test
    void quickRunWritesTheReportTableAndCharts() throws Exception {
        List<Map<String, Object>> figures = QuickRun.run("learning", out);
        assertThat(figures).extracting(f -> f.get("variant")).containsExactly("retrieval-only", "replay-0%", "default");
        assertThat(figures).allSatisfy(f -> assertThat(f).containsKeys("acc", "bwt", "fwt", "forgetting", "replayRatio", "machine"));
        assertThat(figures.get(0).get("promotedNights")).isEqualTo("–"); // retrieval only trains nothing
        assertThat(figures.subList(1, 3)).allSatisfy(f -> assertThat(f.get("promotedNights").toString()).matches("[0-2] of 2"));
        assertThat(BenchmarkReadme.table("learning", figures)).contains("| retrieval-only |", "| default |");

        JsonNode report = new ObjectMapper().readTree(out.resolve("learning-report.json").toFile());
        assertThat(report.get("days").asInt()).isEqualTo(2);
        for (JsonNode v : report.get("variants")) {
            assertThat(v.get("R")).hasSize(2);
            assertThat(v.get("R").get(0)).hasSize(2);
            assertThat(v.get("closedBookSeen")).hasSize(2);
            assertThat(v.get("withMemorySeen")).hasSize(2);
            assertThat(v.get("closedBookNaturalSeen")).hasSize(2);
            // the figures are the arithmetic of the stored matrix
            double[][] r = new ObjectMapper().treeToValue(v.get("R"), double[][].class);
            double[] base = new ObjectMapper().treeToValue(v.get("base"), double[].class);
            assertThat(v.get("acc").asDouble()).isEqualTo(ContinualMetrics.of(r, base).acc());
            assertThat(v.get("bwt").asDouble()).isEqualTo(ContinualMetrics.of(r, base).bwt());
        }
        JsonNode trained = report.get("variants").get(2);
        assertThat(trained.get("verdicts")).hasSize(2);
        assertThat(trained.get("replayRatio").asDouble()).isEqualTo(0.01);
        assertThat(trained.get("factVariants").asBoolean()).isTrue();
        assertThat(trained.get("selfReplay").asInt()).isPositive();
        assertThat(report.get("variants").get(0).get("verdicts")).isEmpty();

        String table = Files.readString(out.resolve("learning.md"));
        assertThat(table).contains("| retrieval-only |", "| replay-0% | 0% | 0.0 | no | 0 |", "| default | 1%, ≥ 8 | 0.0 | yes | 8 |");
        for (String png : List.of("learning-accuracy.png", "learning-forgetting.png")) {
            BufferedImage img = ImageIO.read(out.resolve(png).toFile());
            assertThat(img).as(png).isNotNull();
            assertThat(img.getWidth()).isGreaterThan(500);
        }
    }
}
